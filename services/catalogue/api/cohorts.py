"""Staff routes for cohorts and their rosters."""

from __future__ import annotations

import uuid

from fastapi import Request, status

from services.catalogue.api.deps import staff_router
from services.catalogue.api.schemas.cohorts import (
    CohortCreate,
    CohortOut,
    CohortUpdate,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    RosterImportOut,
    RowErrorOut,
)
from services.catalogue.handlers import cohorts as handlers
from services.catalogue.handlers import roster
from services.catalogue.persistence import cohorts as store
from shared.errors import DomainError
from shared.programme_scope import check_programme, visible
from shared.web import DbDep

router = staff_router("/cohorts", "cohorts")
MAX_ROSTER_BYTES = 2 * 1024 * 1024
_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "name,email,organisation,role\n"
                "Ada Lovelace,ada@example.org,Salford City Council,Director of Place\n",
            }
        },
    }
}


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_cohort(body: CohortCreate, db: DbDep) -> CohortOut:
    """Add a cohort to a programme."""
    check_programme(body.programme_id, hide=False)
    return CohortOut.of(await handlers.create_cohort(db, body), member_count=0)


@router.get("")
async def list_cohorts(db: DbDep, programme_id: uuid.UUID | None = None) -> list[CohortOut]:
    """Cohorts, by programme and number."""
    async with db.unit_of_work() as uow:
        found = visible(await store.list_cohorts(uow, programme_id), lambda c: c.programme_id)
    return [CohortOut.of(c) for c in found]


@router.get("/{cohort_id}")
async def get_cohort(cohort_id: uuid.UUID, db: DbDep) -> CohortOut:
    """One cohort, with how many members it has."""
    async with db.unit_of_work() as uow:
        cohort = await store.get(uow, cohort_id)
        return CohortOut.of(cohort, member_count=await store.member_count(uow, cohort_id))


@router.patch("/{cohort_id}")
async def update_cohort(cohort_id: uuid.UUID, body: CohortUpdate, db: DbDep) -> CohortOut:
    """Change a cohort's number, name or dates."""
    return CohortOut.of(await handlers.update_cohort(db, cohort_id, body))


@router.delete("/{cohort_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_cohort(cohort_id: uuid.UUID, db: DbDep) -> None:
    """Delete a cohort with no members that no event is open to."""
    await handlers.delete_cohort(db, cohort_id)


@router.get("/{cohort_id}/members")
async def list_members(cohort_id: uuid.UUID, db: DbDep) -> list[MemberOut]:
    """The cohort's roster, by name."""
    async with db.unit_of_work() as uow:
        await store.get(uow, cohort_id)
        return [MemberOut.of(m) for m in await store.members(uow, cohort_id)]


@router.post("/{cohort_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(cohort_id: uuid.UUID, body: MemberCreate, db: DbDep) -> MemberOut:
    """Add one delegate (409 if the email is already in the cohort)."""
    return MemberOut.of(await roster.add_member(db, cohort_id, body))


@router.patch("/{cohort_id}/members/{member_id}")
async def update_member(
    cohort_id: uuid.UUID, member_id: uuid.UUID, body: MemberUpdate, db: DbDep
) -> MemberOut:
    """Change one delegate's details."""
    return MemberOut.of(await roster.update_member(db, cohort_id, member_id, body))


@router.delete("/{cohort_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(cohort_id: uuid.UUID, member_id: uuid.UUID, db: DbDep) -> None:
    """Remove one delegate from the cohort."""
    await roster.remove_member(db, cohort_id, member_id)


@router.post(
    "/{cohort_id}/roster",
    openapi_extra=_CSV_BODY,
    responses={413: {"description": "file too large"}, 415: {"description": "not text/csv"}},
)
async def import_roster(
    cohort_id: uuid.UUID, request: Request, db: DbDep, dry_run: bool = False
) -> RosterImportOut:
    """Import delegates from CSV (columns: name, email, organisation, role; UTF-8, a BOM is
    fine). Good rows go in, known emails are updated, bad rows come back with their line.
    `dry_run=true` answers the same report and writes nothing."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("send the roster as text/csv")
    data = await _read_limited(request)
    report = await roster.import_roster(db, cohort_id, data, dry_run=dry_run)
    return RosterImportOut(
        **{k: v for k, v in vars(report).items() if k != "errors"},
        errors=[RowErrorOut(line=e.line, reason=e.reason) for e in report.errors],
    )


async def _read_limited(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_ROSTER_BYTES:
            raise TooLarge(f"a roster file is at most {MAX_ROSTER_BYTES // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)
