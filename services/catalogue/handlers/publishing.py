"""Writing an event's full state to the outbox, for its own changes and for changes to the
records it shows (venue, people, programme)."""

from __future__ import annotations

from typing import Any

from services.catalogue.domain.event_state import EventContext, routing_key, to_state
from services.catalogue.domain.events import Event, bumped
from services.catalogue.persistence import event_queries
from services.catalogue.persistence import events as store
from services.catalogue.persistence.context import context
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)


async def emit_state(uow: UnitOfWork, event: Event, *, first: bool = False) -> EventContext:
    """Record the event's state as it is in this transaction; drafts publish nothing."""
    found = await context(uow, event)
    if event.status != "draft":
        uow.emit(routing_key(event, first=first), to_state(event, found))
        log.info("event.state_emitted", event_id=str(event.id), version=event.version)
    return found


async def republish_using(uow: UnitOfWork, **reference: Any) -> int:
    """A venue, person or programme changed: each published event showing it takes a new
    version carrying the new details, in the same transaction as the change."""
    changed = await event_queries.published_using(uow, **reference)
    for event in changed:
        event = bumped(event)
        await store.set_version(uow, event.id, event.version)
        await emit_state(uow, event)
    return len(changed)
