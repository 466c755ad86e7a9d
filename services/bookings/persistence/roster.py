"""The replica of cohort rosters, applied by each cohort's roster version."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.domain.bookings import email_key
from services.bookings.persistence.tables import cohort_members
from shared.contracts import CohortMemberAdded, CohortMemberRemoved
from shared.db import UnitOfWork


async def _upsert(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    statement = pg_insert(cohort_members).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[cohort_members.c.cohort_id, cohort_members.c.member_id],
        set_={k: statement.excluded[k] for k in values if k not in ("cohort_id", "member_id")}
        | {"updated_at": sa.func.now()},
        # Only a newer roster version changes the member: a stale or repeated message is a no-op.
        where=cohort_members.c.version < statement.excluded.version,
    ).returning(cohort_members.c.member_id)
    return (await uow.execute(statement)).first() is not None


async def apply_added(uow: UnitOfWork, member: CohortMemberAdded) -> bool:
    return await _upsert(
        uow,
        {
            "cohort_id": member.cohort_id,
            "member_id": member.member_id,
            "email_key": email_key(member.email),
            "name": member.name,
            "organisation": member.organisation,
            "role": member.role,
            "version": member.version,
            "removed": False,
        },
    )


async def apply_removed(uow: UnitOfWork, member: CohortMemberRemoved) -> bool:
    return await _upsert(
        uow,
        {
            "cohort_id": member.cohort_id,
            "member_id": member.member_id,
            "email_key": email_key(member.email),
            "version": member.version,
            "removed": True,
        },
    )


async def members_among(
    uow: UnitOfWork, cohort_ids: Sequence[uuid.UUID], keys: Iterable[str]
) -> frozenset[str]:
    """Which of these addresses are current members of any of these cohorts."""
    keys = list(keys)
    if not cohort_ids or not keys:
        return frozenset()
    rows = (
        await uow.execute(
            sa.select(cohort_members.c.email_key).where(
                cohort_members.c.cohort_id.in_(list(cohort_ids)),
                cohort_members.c.email_key.in_(keys),
                cohort_members.c.removed.is_(False),
            )
        )
    ).all()
    return frozenset(r.email_key for r in rows)
