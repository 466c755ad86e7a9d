"""The replica of cohort rosters, applied by each cohort's roster version."""

from __future__ import annotations

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
