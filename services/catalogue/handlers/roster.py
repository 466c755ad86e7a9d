"""Roster use cases: import a CSV, add, change and remove one member.

Each works under the cohort's row lock, so roster versions are handed out one at a time and
every message carries a version no other change of this cohort has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.catalogue.api.schemas.cohorts import MemberCreate, MemberUpdate
from services.catalogue.domain import cohorts as rules
from services.catalogue.domain.roster_csv import RowError, parse_roster
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.persistence import cohorts as store
from shared.db import Database, UnitOfWork
from shared.errors import Conflict
from shared.logging import get_logger
from shared.staff_actions import describe_staff_action

log = get_logger(__name__)


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    roster_version: int
    member_count: int


@conflicts_as_409
async def import_roster(
    db: Database, cohort_id: uuid.UUID, data: bytes, *, dry_run: bool = False
) -> ImportReport:
    """With `dry_run`, the same report from the same rules, and nothing written: what staff
    see before they confirm an upload."""
    parsed = parse_roster(data)
    async with db.unit_of_work() as uow:
        cohort = await store.get(uow, cohort_id, for_update=not dry_run)
        existing = {m.email_key: m for m in await store.members(uow, cohort_id)}
        plan = rules.plan_import(cohort_id, existing, parsed.rows)
        if dry_run:
            return ImportReport(
                created=len(plan.added),
                updated=len(plan.updated),
                unchanged=plan.unchanged,
                errors=parsed.errors,
                roster_version=cohort.roster_version,
                member_count=len(existing) + len(plan.added),
            )
        await store.add_members(uow, plan.added)
        for member in plan.updated:
            await store.save_member(uow, member)
        version = _emit_added(uow, cohort, [*plan.added, *plan.updated])
        if version != cohort.roster_version:
            await _finish(uow, cohort, version)
    log.info(
        "roster.imported",
        cohort_id=str(cohort_id),
        created=len(plan.added),
        updated=len(plan.updated),
        bad_rows=len(parsed.errors),
    )
    return ImportReport(
        created=len(plan.added),
        updated=len(plan.updated),
        unchanged=plan.unchanged,
        errors=parsed.errors,
        roster_version=version,
        member_count=len(existing) + len(plan.added),
    )


@conflicts_as_409
async def add_member(db: Database, cohort_id: uuid.UUID, data: MemberCreate) -> rules.Member:
    async with db.unit_of_work() as uow:
        cohort = await store.get(uow, cohort_id, for_update=True)
        await _check_email_free(uow, cohort_id, data.email)
        member = rules.new_member(cohort_id, data.details())
        describe_staff_action(target_id=member.id, programme_id=cohort.programme_id)
        await store.add_members(uow, [member])
        await _finish(uow, cohort, _emit_added(uow, cohort, [member]))
    return member


@conflicts_as_409
async def update_member(
    db: Database, cohort_id: uuid.UUID, member_id: uuid.UUID, data: MemberUpdate
) -> rules.Member:
    async with db.unit_of_work() as uow:
        cohort = await store.get(uow, cohort_id, for_update=True)
        current = await store.member(uow, cohort_id, member_id)
        member = rules.with_details(current, _merged(current.details, data))
        if member == current:
            return current
        if member.email_key != current.email_key:
            await _check_email_free(uow, cohort_id, member.email)
        await store.save_member(uow, member)
        await _finish(uow, cohort, _emit_added(uow, cohort, [member]))
    return member


async def remove_member(db: Database, cohort_id: uuid.UUID, member_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        cohort = await store.get(uow, cohort_id, for_update=True)
        member = await store.member(uow, cohort_id, member_id)
        await store.delete_member(uow, member_id)
        version = cohort.roster_version + 1
        uow.emit("catalogue.cohort.member_removed", rules.removed_message(cohort, member, version))
        await _finish(uow, cohort, version)


def _emit_added(uow: UnitOfWork, cohort: rules.Cohort, members: list[rules.Member]) -> int:
    """One message per member, each with the next roster version; returns the last one."""
    version = cohort.roster_version
    for member in members:
        version += 1
        uow.emit("catalogue.cohort.member_added", rules.added_message(cohort, member, version))
    return version


async def _finish(uow: UnitOfWork, cohort: rules.Cohort, version: int) -> None:
    await store.set_roster_version(uow, cohort.id, version)
    await uow.commit()


async def _check_email_free(uow: UnitOfWork, cohort_id: uuid.UUID, email: str) -> None:
    other = await store.member_by_email(uow, cohort_id, rules.email_key(email))
    if other is not None:
        raise Conflict(
            "this email is already in the cohort", code="member_exists", member_id=other.id
        )


def _merged(details: rules.MemberDetails, data: MemberUpdate) -> rules.MemberDetails:
    return rules.MemberDetails(**{**vars(details), **data.changes()})
