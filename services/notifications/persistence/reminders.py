"""Reminder rows: pending until the scheduler claims them when due (SKIP LOCKED, so several
processes share the work and none takes a row another holds)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from services.notifications.domain.reminders import Due, Reminder, sessions
from services.notifications.persistence.tables import reminders
from shared.contracts import EventState
from shared.db import UnitOfWork

_COLUMNS = [reminders.c[name] for name in Reminder.__dataclass_fields__]


_SCHEDULE = sa.text(
    """
    INSERT INTO reminders (id, booking_id, event_id, session_id, offset_seconds, due_at)
    SELECT gen_random_uuid(), :booking_id, :event_id, r.session_id, r.offset_seconds, r.due_at
      FROM unnest(:sessions, :offsets, :dues) AS r(session_id, offset_seconds, due_at)
    ON CONFLICT ON CONSTRAINT uq_reminders_booking_session_offset DO NOTHING
    """
).bindparams(
    sa.bindparam("sessions", type_=ARRAY(UUID(as_uuid=True))),
    sa.bindparam("offsets", type_=ARRAY(sa.Integer)),
    sa.bindparam("dues", type_=ARRAY(TIMESTAMP(timezone=True))),
)


async def schedule(
    uow: UnitOfWork,
    booking_id: uuid.UUID,
    event_id: uuid.UUID,
    due: Sequence[Due],
) -> None:
    """Pending reminders for a booking, once per session and offset: a repeat changes
    nothing."""
    if due:
        await uow.execute(
            _SCHEDULE,
            {
                "booking_id": booking_id,
                "event_id": event_id,
                "sessions": [d.session_id for d in due],
                "offsets": [int(d.offset.total_seconds()) for d in due],
                "dues": [d.due_at for d in due],
            },
        )


async def cancel_for_booking(uow: UnitOfWork, booking_id: uuid.UUID) -> None:
    await uow.execute(
        sa.update(reminders)
        .where(reminders.c.booking_id == booking_id, reminders.c.state == "pending")
        .values(state="cancelled", note="booking cancelled", handled_at=sa.func.now())
    )


async def cancel_for_event(uow: UnitOfWork, event_id: uuid.UUID) -> None:
    await uow.execute(
        sa.update(reminders)
        .where(reminders.c.event_id == event_id, reminders.c.state == "pending")
        .values(state="cancelled", note="event cancelled", handled_at=sa.func.now())
    )


async def reschedule_event(uow: UnitOfWork, event: EventState) -> None:
    """Sessions moved: pending reminders keep their offset from their session's new start;
    those of a session no longer in the event are cancelled. (Reminders for a new session
    are scheduled per booking, like any other.)"""
    slots = sessions(event)
    pending = sa.and_(reminders.c.event_id == event.event_id, reminders.c.state == "pending")
    for session_id, starts_at, _ in slots:
        await uow.execute(
            sa.update(reminders)
            .where(pending, reminders.c.session_id == session_id)
            .values(
                due_at=starts_at
                - sa.func.make_interval(0, 0, 0, 0, 0, 0, reminders.c.offset_seconds)
            )
        )
    await uow.execute(
        sa.update(reminders)
        .where(pending, reminders.c.session_id.not_in([sid for sid, _, _ in slots]))
        .values(state="cancelled", note="session removed", handled_at=sa.func.now())
    )


async def claim_due(uow: UnitOfWork, now: datetime, limit: int = 100) -> list[Reminder]:
    rows = await uow.execute(
        sa.select(*_COLUMNS)
        .where(reminders.c.state == "pending", reminders.c.due_at <= now)
        .order_by(reminders.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Reminder(**row._mapping) for row in rows]


async def settle(uow: UnitOfWork, reminder_id: uuid.UUID, state: str, note: str) -> None:
    await uow.execute(
        sa.update(reminders)
        .where(reminders.c.id == reminder_id)
        .values(state=state, note=note, handled_at=sa.func.now())
    )


async def for_booking(uow: UnitOfWork, booking_id: uuid.UUID) -> list[Reminder]:
    rows = await uow.execute(
        sa.select(*_COLUMNS)
        .where(reminders.c.booking_id == booking_id)
        .order_by(reminders.c.offset_seconds.desc())
    )
    return [Reminder(**row._mapping) for row in rows]
