"""What operations watch in notifications, besides the shared messaging metrics."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

EMAILS = Counter(
    "emails_total",
    "Emails by kind and the state an attempt left them in: sent, deferred, failed",
    ["kind", "outcome"],
)
SUPPRESSED = Counter(
    "emails_suppressed_total",
    "Transactional emails not sent: over the recipient's hourly cap",
    ["kind"],
)
# A sender's outcome refused because its claim lapsed and was taken over (fencing at work:
# each is an email that may have gone out twice if its outcome was a 250).
CLAIMS_LOST = Counter(
    "email_claims_lost_total", "Outcomes refused because the claim was taken over", ["outcome"]
)
# Last counts this process saw for each campaign it worked on (from its progress messages).
# Only running campaigns have series: a finished or cancelled one's are removed, so the label
# set stays as small as the number of campaigns under way.
CAMPAIGN_EMAILS = Gauge(
    "campaign_emails", "A running campaign's invitees by state", ["campaign_id", "state"]
)
# The crash window: from the server's 250 to the commit that records it. A process killed
# inside it has sent an email it has not recorded; the email goes out again after restart.
RECORD_SECONDS = Histogram(
    "email_record_seconds",
    "Time from an SMTP 250 to the commit that records it (the re-send window of a crash)",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5),
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
