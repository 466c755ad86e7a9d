"""Booking: a batch of requests for one event decided in one short transaction."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.bookings.domain import idempotency as answers
from services.bookings.domain.batch import (
    Accepted,
    BookingRequest,
    Outcome,
    Refused,
    SameAs,
    Snapshot,
    decide_batch,
)
from services.bookings.persistence import batch as batch_store
from services.bookings.persistence import bookings as store
from services.bookings.persistence.idempotency import KeyTakenMeanwhile
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.locking import LOCK_HELD, with_lock_retries
from services.bookings.usecases.messages import Emitter
from shared.db import Database, UnitOfWork
from shared.errors import Conflict
from shared.logging import get_logger, log_context
from shared.staff_actions import staff_action_record

log = get_logger(__name__)
_ONE_ACTIVE_PER_EMAIL = "uq_bookings_one_active_per_email"


async def book_batch(
    db: Database, settings: BookingsSettings, event_id: uuid.UUID, requests: list[BookingRequest]
) -> list[Outcome | BaseException]:
    """Decide the requests together; should the database still refuse the batch (the unique
    index is the last guard), decide them one by one so one bad request fails alone."""
    try:
        return list(await _decide(db, settings, event_id, requests))
    except IntegrityError:
        if len(requests) == 1:
            raise
    results: list[Outcome | BaseException] = []
    for request in requests:
        try:
            results.extend(await _decide(db, settings, event_id, [request]))
        except IntegrityError as exc:
            results.append(_as_conflict(exc))
        except Exception as exc:
            results.append(exc)
    return results


def _as_conflict(exc: IntegrityError) -> BaseException:
    if _ONE_ACTIVE_PER_EMAIL in str(exc.orig):
        return Conflict("this email already has a booking for this event", code="already_booked")
    return exc


async def _decide(
    db: Database, settings: BookingsSettings, event_id: uuid.UUID, requests: list[BookingRequest]
) -> list[Outcome]:
    """One transaction, three round trips under the lock: lock and read, write, commit."""
    locked = 0.0

    async def attempt(uow: UnitOfWork) -> list[Outcome]:
        nonlocal locked
        snapshot = await _snapshot(uow, event_id, requests)
        locked = time.perf_counter()
        outcomes = decide_batch(snapshot, requests, now=datetime.now(UTC))
        await _record(uow, settings, snapshot, requests, outcomes)
        await uow.commit()
        return outcomes

    outcomes = await with_lock_retries(db, settings, event_id, attempt)
    LOCK_HELD.observe(time.perf_counter() - locked)
    # A repeat of an earlier request in this batch gets that request's answer.
    return [outcomes[o.index] if isinstance(o, SameAs) else o for o in outcomes]


async def _snapshot(
    uow: UnitOfWork, event_id: uuid.UUID, requests: list[BookingRequest]
) -> Snapshot:
    reads = await batch_store.lock_and_read(
        uow,
        event_id,
        emails=list({r.email_key for r in requests}),
        keys=[r.idempotency_key for r in requests if r.idempotency_key],
    )
    # Whole rows only for addresses that already have a booking (rare): for the re-sent link.
    existing = await store.get_many(uow, list(reads.active_ids.values()))
    return Snapshot(
        event=reads.facts,
        places=reads.places,
        active={key: existing[bid] for key, bid in reads.active_ids.items()},
        on_roster=reads.on_roster,
        stored=reads.stored,
    )


async def _record(
    uow: UnitOfWork,
    settings: BookingsSettings,
    snapshot: Snapshot,
    requests: list[BookingRequest],
    outcomes: list[Outcome],
) -> None:
    emitter = Emitter(uow, settings, snapshot.event, snapshot.places)
    resent = []
    for request, outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, Accepted):
            booking = outcome.booking
            emitter.state(
                booking.status,
                booking,
                position=outcome.waitlist_position,
                correlation_id=request.correlation_id,
            )
        elif isinstance(outcome, Refused) and outcome.resend is not None:
            resent.append(outcome.resend)
            emitter.state(
                "manage_link_requested", outcome.resend, correlation_id=request.correlation_id
            )
    emitter.unbind()
    for request, outcome in zip(requests, outcomes, strict=True):
        if request.staff_command is not None and isinstance(outcome, Accepted):
            type_, payload = staff_action_record(
                settings.service_name,
                request.staff_command,
                target_id=str(outcome.booking.id),
            )
            # The record carries its own request's correlation id, as the booking's message does.
            with log_context(correlation_id=request.correlation_id, message_id=None):
                uow.emit(type_, payload)
    complete = await batch_store.write(
        uow,
        snapshot.event.event_id,
        new=[o.booking for o in outcomes if isinstance(o, Accepted)],
        places=snapshot.places,
        answers=_first_answers(requests, outcomes),
    )
    if not complete:
        raise KeyTakenMeanwhile("an idempotency key was stored by a concurrent request")
    await store.save_many(uow, resent)


def _first_answers(
    requests: list[BookingRequest], outcomes: list[Outcome]
) -> list[tuple[str, bytes, dict[str, Any]]]:
    rows = []
    for request, outcome in zip(requests, outcomes, strict=True):
        if request.idempotency_key is None or request.fingerprint is None:
            continue
        if isinstance(outcome, Accepted):
            answer = answers.accepted_answer(outcome.booking, outcome.waitlist_position)
        elif isinstance(outcome, Refused):
            answer = answers.error_answer(outcome.error)
        else:
            continue
        rows.append((request.idempotency_key, request.fingerprint, answer))
    return rows
