"""The replica of cohort rosters, applied by each cohort's roster version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.bookings.domain.bookings import email_key
from services.bookings.persistence.tables import cohort_members
from shared.contracts import CohortMemberAdded, CohortMemberRemoved
from shared.db import UnitOfWork, upsert_if_newer


async def _upsert(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    return await upsert_if_newer(
        uow,
        cohort_members,
        values,
        key=["cohort_id", "member_id"],
        also_set={"updated_at": sa.func.now()},
    )


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
