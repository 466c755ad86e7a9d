"""The replica of catalogue events, applied by version."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.notifications.persistence.tables import events
from shared.contracts import EventState
from shared.db import UnitOfWork, upsert_if_newer


async def apply_state(uow: UnitOfWork, state: EventState) -> bool:
    """Store the state if it is newer than the one held; True if it was."""
    values = {
        "event_id": state.event_id,
        "version": state.version,
        "state": state.model_dump(mode="json"),
    }
    return await upsert_if_newer(uow, events, values, key=["event_id"])


_GET = sa.text("SELECT state FROM events WHERE event_id = :event_id")
_GET_LOCKED = sa.text("SELECT state FROM events WHERE event_id = :event_id FOR UPDATE")


async def get_raw(
    uow: UnitOfWork, event_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = _GET_LOCKED if for_update else _GET
    row = (await uow.execute(query, {"event_id": event_id})).first()
    return dict(row.state) if row else None


async def get(
    uow: UnitOfWork, event_id: uuid.UUID, *, for_update: bool = False
) -> EventState | None:
    raw = await get_raw(uow, event_id, for_update=for_update)
    return EventState.model_validate(raw) if raw is not None else None
