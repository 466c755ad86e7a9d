"""Event use cases: create, change, publish, cancel, complete, delete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.catalogue.api.schemas.events import EventCreate, EventUpdate
from services.catalogue.domain import events as rules
from services.catalogue.domain.event_state import EventContext
from services.catalogue.domain.slugs import numbered, slugify
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.handlers.publishing import emit_state
from services.catalogue.handlers.references import check_references
from services.catalogue.persistence import events as store
from services.catalogue.persistence import tally
from services.catalogue.persistence.context import context
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, Invalid
from shared.staff_actions import describe_staff_action


@dataclass(frozen=True)
class EventResult:
    event: rules.Event
    context: EventContext
    warnings: list[rules.ChangeWarning] = field(default_factory=list)


@conflicts_as_409
async def create_event(db: Database, data: EventCreate) -> EventResult:
    values = _with_times(data.domain_values())
    async with db.unit_of_work() as uow:
        values["slug"] = await _free_slug(uow, values.get("programme_id"), values)
        event = rules.new_event(**values)
        describe_staff_action(
            target_id=event.id, event_id=event.id, programme_id=event.programme_id
        )
        await check_references(uow, event)
        await store.add(uow, event)
        return await _commit(uow, event)


@conflicts_as_409
async def update_event(db: Database, event_id: uuid.UUID, data: EventUpdate) -> EventResult:
    changes = data.domain_values()
    async with db.unit_of_work() as uow:
        current = await store.get(uow, event_id, for_update=True)
        event, warnings = rules.change(current, changes, await tally.confirmed(uow, event_id))
        if event == current:
            return EventResult(current, await context(uow, current))  # nothing changed
        if (event.programme_id, event.slug) != (current.programme_id, current.slug):
            await _check_slug_free(uow, event)
        await check_references(uow, event)
        await store.save(uow, event)
        return await _commit(uow, event, warnings=warnings)


async def publish_event(db: Database, event_id: uuid.UUID) -> EventResult:
    async with db.unit_of_work() as uow:
        event = rules.publish(await store.get(uow, event_id, for_update=True), now=_now())
        await store.save(uow, event)
        return await _commit(uow, event, first=True)


async def cancel_event(db: Database, event_id: uuid.UUID, *, reason: str) -> EventResult:
    async with db.unit_of_work() as uow:
        event = rules.cancel(await store.get(uow, event_id, for_update=True), reason=reason)
        await store.save(uow, event)
        return await _commit(uow, event)


async def complete_event(db: Database, event_id: uuid.UUID) -> EventResult:
    async with db.unit_of_work() as uow:
        event = rules.complete(await store.get(uow, event_id, for_update=True), now=_now())
        await store.save(uow, event)
        return await _commit(uow, event)


@conflicts_as_409
async def delete_event(db: Database, event_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        rules.check_deletable(await store.get(uow, event_id, for_update=True))
        await store.delete(uow, event_id)
        await uow.commit()


async def _commit(
    uow: UnitOfWork,
    event: rules.Event,
    *,
    first: bool = False,
    warnings: list[rules.ChangeWarning] | None = None,
) -> EventResult:
    context = await emit_state(uow, event, first=first)
    await uow.commit()
    return EventResult(event, context, warnings or [])


def _now() -> datetime:
    return datetime.now(UTC)


def _with_times(values: dict[str, Any]) -> dict[str, Any]:
    """Nulls mean "not given" on create; missing times are those of the sessions."""
    values = {name: value for name, value in values.items() if value is not None}
    sessions = values.get("sessions", ())
    for name, pick, attr in (("starts_at", min, "starts_at"), ("ends_at", max, "ends_at")):
        if name not in values:
            if not sessions:
                raise Invalid(name, "is required when no sessions are given")
            values[name] = pick(getattr(s, attr) for s in sessions)
    return values


async def _free_slug(
    uow: UnitOfWork, programme_id: uuid.UUID | None, values: dict[str, Any]
) -> str:
    """A slug staff chose must be free; one made from the title takes the next free number."""
    if values.get("slug"):
        slug = values["slug"]
        if await store.slug_taken(uow, programme_id, slug):
            raise Conflict("an event in this programme already uses this slug", code="slug_taken")
        return str(slug)
    base = slugify(values["title"])
    slug, n = base, 1
    while await store.slug_taken(uow, programme_id, slug):
        n += 1
        slug = numbered(base, n)
    return slug


async def _check_slug_free(uow: UnitOfWork, event: rules.Event) -> None:
    if await store.slug_taken(uow, event.programme_id, event.slug, other_than=event.id):
        raise Conflict("an event in this programme already uses this slug", code="slug_taken")
