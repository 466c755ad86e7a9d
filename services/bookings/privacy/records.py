"""Reads and writes of a person's bookings by address, for export and erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.bookings.persistence.tables import (
    attendance,
    bookings,
    cohort_members,
    event_replicas,
    idempotency_keys,
)
from shared.db import UnitOfWork
from shared.privacy.answering import plain
from shared.privacy.hashing import ERASED_DOMAIN, ERASED_NAME, address_key, erased_address

# What a booking row becomes once the person is gone: its counts (status, option, event,
# dates, attendance) stay; everything that says who it was does not.
_ANONYMOUS: dict[str, Any] = {
    "name": ERASED_NAME,
    "organisation": "",
    "role": "",
    "sector": None,
    "dietary_needs": "",
    "access_needs": "",
    "cancel_reason": None,
}


def erased_key(address_hash: str) -> str:
    """The email_key of an erased active booking: still one per event, never an address."""
    return f"erased:{address_hash}"


def _of(email: str, address_hash: str) -> sa.ColumnElement[bool]:
    return bookings.c.email_key.in_([address_key(email), erased_key(address_hash)])


async def export(uow: UnitOfWork, email: str) -> dict[str, list[dict[str, Any]]]:
    rows = (
        await uow.execute(
            sa.select(
                bookings.c.id.label("booking_id"),
                bookings.c.event_id,
                event_replicas.c.title.label("event_title"),
                event_replicas.c.starts_at.label("event_starts_at"),
                bookings.c.status,
                bookings.c.option_ids,
                bookings.c.email,
                bookings.c.name,
                bookings.c.organisation,
                bookings.c.role,
                bookings.c.sector,
                bookings.c.dietary_needs,
                bookings.c.access_needs,
                bookings.c.consent_to_contact,
                bookings.c.cancelled_by,
                bookings.c.cancel_reason,
                bookings.c.created_at,
                bookings.c.updated_at,
            )
            .join(event_replicas, event_replicas.c.event_id == bookings.c.event_id)
            .where(bookings.c.email_key == address_key(email))
            .order_by(bookings.c.created_at)
        )
    ).all()
    ids = [row.booking_id for row in rows]
    marks = (
        await uow.execute(
            sa.select(
                attendance.c.booking_id,
                attendance.c.session_id,
                attendance.c.status,
                attendance.c.marked_at,
            ).where(attendance.c.booking_id.in_(ids))
        )
    ).all()
    members = (
        await uow.execute(
            sa.select(
                cohort_members.c.cohort_id,
                cohort_members.c.name,
                cohort_members.c.organisation,
                cohort_members.c.role,
                cohort_members.c.removed,
            ).where(cohort_members.c.email_key == address_key(email))
        )
    ).all()
    return {
        "bookings": [plain(r) for r in rows],
        "attendance": [plain(r) for r in marks],
        "roster_replica": [plain(r) for r in members],
    }


async def future_active(
    uow: UnitOfWork, email: str, address_hash: str, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(booking id, event id) of the person's places and waiting-list entries to come."""
    rows = await uow.execute(
        sa.select(bookings.c.id, bookings.c.event_id)
        .join(event_replicas, event_replicas.c.event_id == bookings.c.event_id)
        .where(
            _of(email, address_hash),
            bookings.c.status.in_(("confirmed", "waitlisted")),
            event_replicas.c.starts_at > now,
        )
    )
    return [(row.id, row.event_id) for row in rows]


async def anonymise_booking(uow: UnitOfWork, booking_id: uuid.UUID, address_hash: str) -> None:
    """One active booking made anonymous before it is cancelled, so the cancellation and its
    message carry nobody (and the email_key still keeps one active booking per event)."""
    await uow.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id)
        .values(email=erased_address(booking_id), email_key=erased_key(address_hash), **_ANONYMOUS)
    )


async def anonymise_ended(uow: UnitOfWork, cutoff: datetime, now: datetime) -> dict[str, int]:
    """Retention: bookings of events that ended before `cutoff` made anonymous (their counts
    stay), and the idempotency answers of those events dropped. Repeating it changes nothing."""
    ended = sa.select(event_replicas.c.event_id).where(event_replicas.c.ends_at < cutoff)
    done = await uow.execute(
        sa.update(bookings)
        .where(bookings.c.event_id.in_(ended), bookings.c.anonymised_at.is_(None))
        .values(
            email=sa.func.concat("erased-", bookings.c.id, f"@{ERASED_DOMAIN}"),
            email_key=sa.func.concat("erased:", bookings.c.id),
            anonymised_at=now,
            **_ANONYMOUS,
        )
    )
    answers = await uow.execute(
        sa.delete(idempotency_keys).where(idempotency_keys.c.event_id.in_(ended))
    )
    return {"bookings": int(done.rowcount or 0), "idempotency_answers": int(answers.rowcount or 0)}


async def erase(uow: UnitOfWork, email: str, address_hash: str) -> dict[str, int]:
    """Every remaining booking of the address anonymised in place (past ones keep their counts),
    the roster replica's rows emptied (kept as tombstones for the version guard), and the
    idempotency answers of those bookings dropped."""
    ids = [
        row.id
        for row in await uow.execute(sa.select(bookings.c.id).where(_of(email, address_hash)))
    ]
    for booking_id in ids:
        await uow.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(
                email=erased_address(booking_id),
                email_key=f"erased:{booking_id}",
                **_ANONYMOUS,
            )
        )
    answers = 0
    if ids:
        answers = (
            await uow.execute(
                sa.delete(idempotency_keys).where(
                    sa.or_(
                        *(
                            sa.func.strpos(sa.cast(idempotency_keys.c.answer, sa.Text), str(i)) > 0
                            for i in ids
                        )
                    )
                )
            )
        ).rowcount or 0
    members = (
        await uow.execute(
            sa.update(cohort_members)
            .where(cohort_members.c.email_key == address_key(email))
            .values(
                email_key=erased_key(address_hash),
                name="",
                organisation="",
                role="",
                removed=True,
            )
        )
    ).rowcount or 0
    return {"bookings": len(ids), "idempotency_answers": int(answers), "roster_replica": members}
