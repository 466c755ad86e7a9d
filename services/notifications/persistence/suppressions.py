"""The suppression list staff see: addresses that opted out of campaign emails, and addresses
refused permanently (a 5xx: a hard bounce) since staff last lifted them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notifications.domain.emails import email_key
from services.notifications.persistence.tables import opt_outs, suppression_lifts
from shared.db import UnitOfWork


def bounced_sql(address: str) -> str:
    """SQL true when `address` (an SQL expression, lower case) hard-bounced since its last
    lift: the one definition the audience, the counts and the chunks read."""
    return f"""EXISTS (
        SELECT 1 FROM deliveries b
          LEFT JOIN suppression_lifts l ON l.email_key = lower(b.recipient)
         WHERE lower(b.recipient) = {address} AND b.state = 'failed' AND b.reason = 'rejected'
           AND (l.lifted_at IS NULL OR coalesce(b.updated_at, b.created_at) > l.lifted_at))"""


@dataclass(frozen=True)
class Entry:
    email: str
    reason: str  # opted_out | bounced
    since: datetime
    detail: str | None


# The latest hard bounce per address, unless lifted after it.
_LIST = sa.text(
    """
    SELECT email, reason, since, detail FROM (
        SELECT o.email_key AS email, 'opted_out' AS reason, o.created_at AS since,
               NULL AS detail
          FROM opt_outs o
        UNION ALL
        (SELECT DISTINCT ON (lower(d.recipient)) lower(d.recipient), 'bounced',
               coalesce(d.updated_at, d.created_at), left(d.last_error, 300)
          FROM deliveries d
          LEFT JOIN suppression_lifts l ON l.email_key = lower(d.recipient)
         WHERE d.state = 'failed' AND d.reason = 'rejected'
           AND (l.lifted_at IS NULL OR coalesce(d.updated_at, d.created_at) > l.lifted_at)
         ORDER BY lower(d.recipient), coalesce(d.updated_at, d.created_at) DESC)
    ) AS entries
     WHERE (CAST(:email AS text) IS NULL OR email = :email)
     ORDER BY since DESC, email
     LIMIT :limit
    """
)


async def search(uow: UnitOfWork, *, email: str | None, limit: int) -> list[Entry]:
    key = email_key(email) if email else None
    rows = await uow.execute(_LIST, {"email": key, "limit": limit})
    return [Entry(row.email, row.reason, row.since, row.detail) for row in rows]


async def lift(uow: UnitOfWork, email: str, *, by: str | None) -> None:
    """Campaign emails may reach the address again: its opt-out is removed and its bounces
    so far no longer count (a later bounce suppresses it again)."""
    key = email_key(email)
    await uow.execute(sa.delete(opt_outs).where(opt_outs.c.email_key == key))
    await uow.execute(
        pg_insert(suppression_lifts)
        .values(email_key=key, lifted_at=sa.func.now(), lifted_by=by)
        .on_conflict_do_update(
            index_elements=[suppression_lifts.c.email_key],
            set_={"lifted_at": sa.func.now(), "lifted_by": by},
        )
    )
