"""Staff routes for programmes and their leadership expectations."""

from __future__ import annotations

import uuid

from fastapi import status

from services.catalogue.api.deps import staff_router
from services.catalogue.api.schemas.programmes import (
    ProgrammeCreate,
    ProgrammeOut,
    ProgrammeUpdate,
)
from services.catalogue.handlers import programmes as handlers
from services.catalogue.persistence import programmes as store
from shared.programme_scope import require_unrestricted, visible
from shared.web import DbDep

router = staff_router("/programmes", "programmes")


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_programme(body: ProgrammeCreate, db: DbDep) -> ProgrammeOut:
    """Add a programme with its leadership expectations (staff limited to some programmes
    cannot)."""
    require_unrestricted("programmes")
    return ProgrammeOut.of(await handlers.create_programme(db, body))


@router.get("")
async def list_programmes(db: DbDep) -> list[ProgrammeOut]:
    """Every programme, by name."""
    async with db.unit_of_work() as uow:
        found = visible(await store.all_programmes(uow), lambda p: p.id)
    return [ProgrammeOut.of(p) for p in found]


@router.get("/{programme_id}")
async def get_programme(programme_id: uuid.UUID, db: DbDep) -> ProgrammeOut:
    """One programme."""
    async with db.unit_of_work() as uow:
        return ProgrammeOut.of(await store.get(uow, programme_id))


@router.patch("/{programme_id}")
async def update_programme(
    programme_id: uuid.UUID, body: ProgrammeUpdate, db: DbDep
) -> ProgrammeOut:
    """Change a programme; `expectations` replaces the list (kept by code)."""
    return ProgrammeOut.of(await handlers.update_programme(db, programme_id, body))


@router.delete("/{programme_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_programme(programme_id: uuid.UUID, db: DbDep) -> None:
    """Delete a programme with no cohorts and no events."""
    await handlers.delete_programme(db, programme_id)
