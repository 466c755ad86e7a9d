"""Cohorts and their members in a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from services.catalogue.domain.cohorts import Cohort, Member
from services.catalogue.persistence import records
from services.catalogue.persistence.tables import cohort_members, cohorts
from shared.db import UnitOfWork
from shared.errors import NotFound


async def get(uow: UnitOfWork, cohort_id: uuid.UUID, *, for_update: bool = False) -> Cohort:
    return await records.get(uow, cohorts, Cohort, cohort_id, for_update=for_update)


async def by_ids(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, Cohort]:
    return await records.by_ids(uow, cohorts, Cohort, ids)


async def list_cohorts(uow: UnitOfWork, programme_id: uuid.UUID | None = None) -> list[Cohort]:
    where = cohorts.c.programme_id == programme_id if programme_id else None
    return await records.all_of(
        uow, cohorts, Cohort, cohorts.c.programme_id, cohorts.c.number, where=where
    )


async def number_taken(
    uow: UnitOfWork, programme_id: uuid.UUID, number: int, *, other_than: uuid.UUID | None = None
) -> bool:
    query = sa.select(cohorts.c.id).where(
        cohorts.c.programme_id == programme_id, cohorts.c.number == number
    )
    if other_than is not None:
        query = query.where(cohorts.c.id != other_than)
    return await records.exists(uow, query)


async def add(uow: UnitOfWork, cohort: Cohort) -> None:
    await records.insert(uow, cohorts, cohort)


async def save(uow: UnitOfWork, cohort: Cohort) -> None:
    await records.update(uow, cohorts, cohort)


async def delete(uow: UnitOfWork, cohort_id: uuid.UUID) -> None:
    await records.delete(uow, cohorts, cohort_id)


async def set_roster_version(uow: UnitOfWork, cohort_id: uuid.UUID, version: int) -> None:
    await uow.execute(
        sa.update(cohorts)
        .where(cohorts.c.id == cohort_id)
        .values(roster_version=version, updated_at=sa.func.now())
    )


async def members(uow: UnitOfWork, cohort_id: uuid.UUID) -> list[Member]:
    return await records.all_of(
        uow,
        cohort_members,
        Member,
        cohort_members.c.name,
        cohort_members.c.email_key,
        where=cohort_members.c.cohort_id == cohort_id,
    )


async def member_count(uow: UnitOfWork, cohort_id: uuid.UUID) -> int:
    query = sa.select(sa.func.count()).where(cohort_members.c.cohort_id == cohort_id)
    return int((await uow.execute(query)).scalar_one())


async def member(uow: UnitOfWork, cohort_id: uuid.UUID, member_id: uuid.UUID) -> Member:
    query = sa.select(*records.columns(cohort_members, Member)).where(
        cohort_members.c.cohort_id == cohort_id, cohort_members.c.id == member_id
    )
    row = (await uow.execute(query)).first()
    if row is None:
        raise NotFound("no such member in this cohort", code="member_not_found")
    return records.of_row(Member, row)


async def member_by_email(uow: UnitOfWork, cohort_id: uuid.UUID, email_key: str) -> Member | None:
    query = sa.select(*records.columns(cohort_members, Member)).where(
        cohort_members.c.cohort_id == cohort_id, cohort_members.c.email_key == email_key
    )
    row = (await uow.execute(query)).first()
    return records.of_row(Member, row) if row else None


async def add_members(uow: UnitOfWork, added: Sequence[Member]) -> None:
    if added:
        await uow.execute(
            sa.insert(cohort_members),
            [{**vars(m), "email_key": m.email_key} for m in added],
        )


async def save_member(uow: UnitOfWork, member: Member) -> None:
    await records.update(uow, cohort_members, member, email_key=member.email_key)


async def delete_member(uow: UnitOfWork, member_id: uuid.UUID) -> None:
    await records.delete(uow, cohort_members, member_id)
