"""The replica of cohort rosters. Every change to one cohort carries that cohort's roster
version, so a member's row is only overwritten by a newer change (removals included)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by

from services.notifications.domain.campaigns import Invitee
from services.notifications.persistence.tables import cohort_members
from shared.contracts import CohortMemberAdded, CohortMemberRemoved
from shared.db import UnitOfWork, upsert_if_newer


async def _upsert(uow: UnitOfWork, values: dict[str, object]) -> bool:
    return await upsert_if_newer(uow, cohort_members, values, key=["cohort_id", "member_id"])


async def member_added(uow: UnitOfWork, change: CohortMemberAdded) -> bool:
    return await _upsert(
        uow,
        {
            "cohort_id": change.cohort_id,
            "member_id": change.member_id,
            "email": change.email,
            "name": change.name,
            "version": change.version,
            "removed": False,
        },
    )


async def member_removed(uow: UnitOfWork, change: CohortMemberRemoved) -> bool:
    return await _upsert(
        uow,
        {
            "cohort_id": change.cohort_id,
            "member_id": change.member_id,
            "email": change.email,
            "version": change.version,
            "removed": True,
        },
    )


async def members(uow: UnitOfWork, cohort_ids: Sequence[uuid.UUID]) -> list[Invitee]:
    """Current members of the cohorts, in a stable order (cohort as given, then address)."""
    if not cohort_ids:
        return []
    # Two arrays in one row, ordered by the database: a 10,000-person roster as 10,000 rows
    # cost more in building rows than everything else the audience count does.
    cohorts = sa.bindparam("cohorts", list(cohort_ids), type_=ARRAY(UUID(as_uuid=True)))
    order = (
        sa.func.array_position(cohorts, cohort_members.c.cohort_id),
        cohort_members.c.email,
        cohort_members.c.member_id,
    )
    emails, names = (
        await uow.execute(
            sa.select(
                sa.func.array_agg(aggregate_order_by(cohort_members.c.email, *order)),
                sa.func.array_agg(aggregate_order_by(cohort_members.c.name, *order)),
            ).where(cohort_members.c.cohort_id == sa.any_(cohorts), ~cohort_members.c.removed)
        )
    ).one()
    return [Invitee(email, name) for email, name in zip(emails or [], names or [], strict=True)]


async def name_for(uow: UnitOfWork, email: str) -> str:
    row = (
        await uow.execute(
            sa.select(cohort_members.c.name)
            .where(sa.func.lower(cohort_members.c.email) == email.strip().lower())
            .limit(1)
        )
    ).first()
    return row.name if row else ""
