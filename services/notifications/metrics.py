"""What operations watch in notifications, besides the shared messaging metrics."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping

from prometheus_client import Counter, Gauge

EMAILS = Counter(
    "emails_total",
    "Emails by kind and outcome: sent, retry_later (SMTP failed, will retry), rejected (parked)",
    ["kind", "outcome"],
)
# Last counts this process saw for each campaign it worked on (from its progress messages).
# Only running campaigns have series: a finished or cancelled one's are removed, so the label
# set stays as small as the number of campaigns under way.
CAMPAIGN_EMAILS = Gauge(
    "campaign_emails", "A running campaign's invitees by state", ["campaign_id", "state"]
)
CAMPAIGN_STATES = ("recipients", "queued", "sent", "failed", "booked")
# `state="running"` is 1 while it runs and 0 while paused, so a paused campaign is not "stalled".
_SERIES = (*CAMPAIGN_STATES, "running")
FINISHED = frozenset({"completed", "cancelled"})
_shown: set[str] = set()


def show_campaign(campaign_id: uuid.UUID, status: str, counts: Mapping[str, int]) -> None:
    key = str(campaign_id)
    if status in FINISHED:
        forget_campaign(key)
        return
    for state in CAMPAIGN_STATES:
        CAMPAIGN_EMAILS.labels(key, state).set(counts[state])
    CAMPAIGN_EMAILS.labels(key, "running").set(1 if status == "running" else 0)
    _shown.add(key)


def forget_campaign(campaign_id: str) -> None:
    for state in _SERIES:
        with contextlib.suppress(KeyError):
            CAMPAIGN_EMAILS.remove(campaign_id, state)
    _shown.discard(campaign_id)


def shown_campaigns() -> list[str]:
    return sorted(_shown)
