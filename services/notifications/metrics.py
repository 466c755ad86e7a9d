"""What operations watch in notifications, besides the shared messaging metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EMAILS = Counter(
    "emails_total",
    "Emails by kind and outcome: sent, retry_later (SMTP failed, will retry), rejected (parked)",
    ["kind", "outcome"],
)
# Last counts this process saw for each campaign it worked on (from its progress messages).
CAMPAIGN_EMAILS = Gauge(
    "campaign_emails", "A campaign's invitees by state", ["campaign_id", "state"]
)
