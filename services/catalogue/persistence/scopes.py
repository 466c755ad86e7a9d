"""Which programme a catalogue thing belongs to, for programme-scoped staff tokens."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import Request

from services.catalogue.persistence.tables import cohorts, events, programmes


async def _programme_of(
    request: Request, table: sa.Table, column: str, thing_id: uuid.UUID
) -> tuple[bool, uuid.UUID | None]:
    async with request.app.state.runtime.db.unit_of_work() as uow:
        row = (await uow.execute(sa.select(table.c[column]).where(table.c.id == thing_id))).first()
    return (row is not None, row[0] if row is not None else None)


async def of_programme(request: Request, programme_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    return await _programme_of(request, programmes, "id", programme_id)


async def of_cohort(request: Request, cohort_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    return await _programme_of(request, cohorts, "programme_id", cohort_id)


async def of_event(request: Request, event_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    return await _programme_of(request, events, "programme_id", event_id)


LOOKUPS = {"event_id": of_event, "cohort_id": of_cohort, "programme_id": of_programme}
