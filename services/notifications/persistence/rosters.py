"""The replica of cohort rosters. Every change to one cohort carries that cohort's roster
version, so a member's row is only overwritten by a newer change (removals included)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

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
    rows = await uow.execute(
        sa.select(cohort_members.c.cohort_id, cohort_members.c.email, cohort_members.c.name)
        .where(cohort_members.c.cohort_id.in_(list(cohort_ids)), ~cohort_members.c.removed)
        .order_by(cohort_members.c.email)
    )
    order = {cohort: n for n, cohort in enumerate(cohort_ids)}
    found = sorted(rows, key=lambda row: order[row.cohort_id])
    return [Invitee(row.email, row.name) for row in found]


async def name_for(uow: UnitOfWork, email: str) -> str:
    row = (
        await uow.execute(
            sa.select(cohort_members.c.name)
            .where(sa.func.lower(cohort_members.c.email) == email.strip().lower())
            .limit(1)
        )
    ).first()
    return row.name if row else ""
