"""What bookings holds about invitations: cancelled campaigns, and what the roster replica
knows of an invitee (to fill in the form for them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.persistence.tables import cancelled_campaigns, cohort_members
from shared.db import UnitOfWork


@dataclass(frozen=True)
class RosterEntry:
    name: str
    organisation: str
    role: str


async def mark_cancelled(uow: UnitOfWork, campaign_id: uuid.UUID, event_id: uuid.UUID) -> None:
    await uow.execute(
        pg_insert(cancelled_campaigns)
        .values(campaign_id=campaign_id, event_id=event_id)
        .on_conflict_do_nothing()
    )


async def is_cancelled(uow: UnitOfWork, campaign_id: uuid.UUID) -> bool:
    query = sa.select(cancelled_campaigns.c.campaign_id).where(
        cancelled_campaigns.c.campaign_id == campaign_id
    )
    return (await uow.execute(query)).first() is not None


async def roster_entry(
    uow: UnitOfWork, email_key: str, cohort_ids: list[uuid.UUID]
) -> RosterEntry | None:
    """The invitee as a roster lists them: the event's own cohorts first, then the latest
    change in any cohort (reunions invite earlier cohorts too)."""
    order = [cohort_members.c.updated_at.desc()]
    if cohort_ids:
        order.insert(0, cohort_members.c.cohort_id.in_(cohort_ids).desc())
    query = (
        sa.select(cohort_members.c.name, cohort_members.c.organisation, cohort_members.c.role)
        .where(cohort_members.c.email_key == email_key, ~cohort_members.c.removed)
        .order_by(*order)
        .limit(1)
    )
    row = (await uow.execute(query)).first()
    return RosterEntry(row.name, row.organisation, row.role) if row else None
