"""A campaign's counts, read from its recipients' rows each time (never kept as counters that
could drift): each invitee is in exactly one bucket, from its delivery's state or, before its
email exists, from whether the address has since opted out, bounced or declined."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from services.notifications.persistence.suppressions import bounced_sql
from shared.db import UnitOfWork

BUCKETS = ("queued", "sent", "failed", "cancelled", "opted_out", "suppressed", "declined")

# Opted out / declined / bounced with no email yet: the chunk skips them when it gets there
# (persistence/campaigns.recipients), so they are counted as such already.
_BY_BUCKET = sa.text(
    """
    SELECT CASE
             WHEN d.state = 'sent' THEN 'sent'
             WHEN d.state = 'failed' THEN 'failed'
             WHEN d.state = 'cancelled' AND d.reason IN ('opted_out', 'suppressed', 'declined')
               THEN d.reason
             WHEN d.state IS NULL AND c.kind <> 'announcement' AND o.email_key IS NOT NULL
               THEN 'opted_out'
             WHEN d.state IS NULL AND c.kind = 'follow_up' AND a.email_key IS NOT NULL
               THEN 'declined'
             WHEN d.state IS NULL AND {bounced}
               THEN 'suppressed'
             WHEN d.state = 'cancelled' OR c.status = 'cancelled' THEN 'cancelled'
             ELSE 'queued'
           END AS bucket,
           count(*) AS n
      FROM campaign_recipients r
      JOIN campaigns c ON c.id = r.campaign_id
      LEFT JOIN deliveries d
             ON d.dedupe_key = 'campaign:' || r.campaign_id::text || ':' || lower(trim(r.email))
      LEFT JOIN opt_outs o ON o.email_key = lower(trim(r.email))
      LEFT JOIN invitee_answers a
             ON a.event_id = c.event_id AND a.email_key = lower(trim(r.email))
     WHERE r.campaign_id = :campaign_id
     GROUP BY 1
    """.format(bounced=bounced_sql("lower(trim(r.email))"))
)

_LEFT_OUT = sa.text(
    "SELECT reason, count(*) AS n FROM campaign_exclusions WHERE campaign_id = :campaign_id "
    "GROUP BY reason"
)


@dataclass(frozen=True)
class RowCounts:
    recipients: int
    buckets: dict[str, int]
    left_out: dict[str, int]


async def of_campaign(uow: UnitOfWork, campaign_id: uuid.UUID) -> RowCounts:
    params = {"campaign_id": campaign_id}
    buckets = {row.bucket: int(row.n) for row in await uow.execute(_BY_BUCKET, params)}
    left_out = {row.reason: int(row.n) for row in await uow.execute(_LEFT_OUT, params)}
    return RowCounts(
        recipients=sum(buckets.values()),
        buckets={name: buckets.get(name, 0) for name in BUCKETS},
        left_out=left_out,
    )
