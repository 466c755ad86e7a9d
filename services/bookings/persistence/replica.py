"""The replica of catalogue events and their options, applied by version (stale or repeated
states change nothing), and the event's counters, read and written under its row lock."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.capacity import OptionPlaces, Places
from services.bookings.persistence.tables import event_options, event_replicas
from shared.contracts import EventState
from shared.db import UnitOfWork, upsert_if_newer
from shared.errors import NotFound

_FACTS = (
    "event_id",
    "version",
    "status",
    "title",
    "starts_at",
    "ends_at",
    "audience_kind",
    "cohort_ids",
    "booking_opens_at",
    "booking_closes_at",
)
_COUNTERS = ("capacity", "waitlist_enabled", "confirmed", "waiting", "waitlist_seq")
_SELECT = sa.select(*(event_replicas.c[n] for n in (*_FACTS, *_COUNTERS)))
_OPTIONS = sa.select(
    event_options.c.option_id,
    event_options.c.name,
    event_options.c.capacity,
    event_options.c.confirmed,
    event_options.c.waiting,
    event_options.c.withdrawn,
    event_options.c.description,
    event_options.c.position,
    event_options.c.group_id,
    event_options.c.group_name,
    event_options.c.group_required,
    event_options.c.group_position,
).order_by(event_options.c.group_position, event_options.c.position)


async def apply_state(uow: UnitOfWork, state: EventState) -> bool:
    """Upsert the event if this state is newer than the one held; True if it was applied.

    The upsert takes the event's row lock, so it waits for (and is waited on by) bookings."""
    values = {
        "event_id": state.event_id,
        "version": state.version,
        "status": state.status,
        "title": state.title,
        "starts_at": state.starts_at,
        "ends_at": state.ends_at,
        "capacity": state.capacity,
        "waitlist_enabled": state.waitlist_enabled,
        "state": state.model_dump(mode="json"),
        "audience_kind": state.audience.kind,
        "cohort_ids": list(state.audience.cohort_ids),
        "booking_opens_at": state.booking_opens_at,
        "booking_closes_at": state.booking_closes_at,
    }
    applied = await upsert_if_newer(
        uow, event_replicas, values, key=["event_id"], also_set={"updated_at": sa.func.now()}
    )
    if not applied:
        return False
    await _apply_options(uow, state)
    return True


async def _apply_options(uow: UnitOfWork, state: EventState) -> None:
    groups = {g.group_id: (i, g) for i, g in enumerate(state.option_groups)}
    listed = []
    for position, o in enumerate(state.options):
        assert o.group_id is not None  # EventState gives every option a group
        group_position, group = groups.get(o.group_id, (len(groups), None))
        listed.append(
            {
                "event_id": state.event_id,
                "option_id": o.option_id,
                "position": position,
                "name": o.name,
                "description": o.description,
                "capacity": o.capacity,
                "group_id": o.group_id,
                "group_name": group.name if group else "",
                "group_required": group.required if group else True,
                "group_position": group_position,
            }
        )
    if listed:
        statement = pg_insert(event_options).values(listed)
        await uow.execute(
            statement.on_conflict_do_update(
                index_elements=[event_options.c.event_id, event_options.c.option_id],
                set_={
                    name: statement.excluded[name]
                    for name in (
                        "position",
                        "name",
                        "description",
                        "capacity",
                        "group_id",
                        "group_name",
                        "group_required",
                        "group_position",
                    )
                }
                | {"withdrawn": False},
            )
        )
    # Options no longer listed keep their bookings but take no new ones.
    await uow.execute(
        sa.update(event_options)
        .where(
            event_options.c.event_id == state.event_id,
            event_options.c.option_id.not_in([o.option_id for o in state.options]),
        )
        .values(withdrawn=True)
    )


def _facts(row: Any) -> EventFacts:
    m = row._mapping
    return EventFacts(
        **{n: m[n] for n in _FACTS if n != "cohort_ids"}, cohort_ids=tuple(m["cohort_ids"])
    )


async def _places(uow: UnitOfWork, row: Any) -> Places:
    m = row._mapping
    options = (await uow.execute(_OPTIONS.where(event_options.c.event_id == m["event_id"]))).all()
    return Places(
        capacity=m["capacity"],
        waitlist_enabled=m["waitlist_enabled"],
        confirmed=m["confirmed"],
        waiting=m["waiting"],
        waitlist_seq=m["waitlist_seq"],
        options={o.option_id: OptionPlaces(**o._mapping) for o in options},
    )


async def load(
    uow: UnitOfWork, event_id: uuid.UUID, *, lock: bool = False
) -> tuple[EventFacts, Places]:
    """The event's facts and counters; with `lock`, under its row lock until commit."""
    query = _SELECT.where(event_replicas.c.event_id == event_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.execute(query)).first()
    if row is None:
        raise NotFound("no such event is open for booking", code="event_not_found")
    return _facts(row), await _places(uow, row)


async def save_places(uow: UnitOfWork, event_id: uuid.UUID, places: Places) -> None:
    """Write back the counters decided under the lock (absolute values: we hold the lock)."""
    await uow.execute(
        sa.update(event_replicas)
        .where(event_replicas.c.event_id == event_id)
        .values(
            confirmed=places.confirmed,
            waiting=places.waiting,
            waitlist_seq=places.waitlist_seq,
        )
    )
    if places.options:
        await uow.execute(
            sa.update(event_options)
            .where(
                event_options.c.event_id == event_id,
                event_options.c.option_id == sa.bindparam("b_option_id"),
            )
            .values(confirmed=sa.bindparam("b_confirmed"), waiting=sa.bindparam("b_waiting")),
            [
                {"b_option_id": o.option_id, "b_confirmed": o.confirmed, "b_waiting": o.waiting}
                for o in places.options.values()
            ],
        )


async def public_state(uow: UnitOfWork, event_id: uuid.UUID) -> tuple[dict[str, Any], Places]:
    """The catalogue's full state of the event (for display) and its current counters."""
    row = (
        await uow.execute(
            sa.select(
                event_replicas.c.state, *(event_replicas.c[n] for n in ("event_id", *_COUNTERS))
            ).where(event_replicas.c.event_id == event_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such event", code="event_not_found")
    return dict(row.state), await _places(uow, row)
