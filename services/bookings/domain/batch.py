"""Deciding a batch of booking requests for one event, in arrival order, in plain Python.

The caller holds the event's row lock and has read everything the batch needs (the counters,
the active bookings of the batch's addresses, roster membership, earlier answers to the
batch's idempotency keys). Each request gets its own outcome: one refusal never fails the
others, and the decisions are exactly those the requests would get one at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.bookings.domain import admission
from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking, Details, email_key
from services.bookings.domain.capacity import Choices, Places
from shared.errors import Conflict, DomainError
from shared.staff_actions import StaffCommand


@dataclass(frozen=True)
class BookingRequest:
    email: str
    name: str
    details: Details = field(default_factory=Details)
    # The options chosen, at most one per group (checked when decided).
    option_ids: tuple[uuid.UUID, ...] = ()
    # The campaign of an invitation already verified for this event and this address.
    invited_by_campaign: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    # Staff booking on someone's behalf: the window and the audience do not apply.
    on_behalf: bool = False
    idempotency_key: str | None = None
    fingerprint: bytes | None = None
    correlation_id: str | None = None
    # Who booked on someone's behalf: recorded in the batch's transaction (shared/staff_actions).
    staff_command: StaffCommand | None = field(default=None, compare=False)

    @property
    def email_key(self) -> str:
        return email_key(self.email)


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: bytes
    answer: dict[str, Any]


@dataclass(frozen=True)
class Accepted:
    booking: Booking
    waitlist_position: int | None


@dataclass(frozen=True)
class Refused:
    error: DomainError
    # An existing booking whose manage link this attempt re-sends.
    resend: Booking | None = None


@dataclass(frozen=True)
class Replayed:
    """The first answer to this Idempotency-Key, from an earlier transaction."""

    answer: dict[str, Any]


@dataclass(frozen=True)
class SameAs:
    """The same key and body as an earlier request of this batch: its answer."""

    index: int


@dataclass(frozen=True)
class KeyReused:
    """The same Idempotency-Key with a different request."""


Outcome = Accepted | Refused | Replayed | SameAs | KeyReused


@dataclass
class Snapshot:
    event: EventFacts
    places: Places
    active: dict[str, Booking] = field(default_factory=dict)
    on_roster: frozenset[str] = frozenset()
    stored: dict[str, StoredAnswer] = field(default_factory=dict)
    # The choices already checked in this batch, by what was sent: a rush repeats a few
    # combinations, and the options' groups, rules and withdrawals cannot change under the
    # lock, so each combination is checked once per batch rather than once per request.
    checked: dict[tuple[uuid.UUID, ...], Choices] = field(default_factory=dict)


def decide_batch(
    snapshot: Snapshot,
    requests: list[BookingRequest],
    *,
    now: datetime,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> list[Outcome]:
    """One outcome per request; `snapshot.places` ends with the counters to write back."""
    outcomes: list[Outcome] = []
    first_with_key: dict[str, int] = {}
    created: set[str] = set()
    for index, request in enumerate(requests):
        key = request.idempotency_key
        if key is not None:
            earlier = _earlier_answer(snapshot, requests, first_with_key, request)
            if earlier is not None:
                outcomes.append(earlier)
                continue
            first_with_key[key] = index
        outcomes.append(_decide_one(snapshot, request, created, now=now, new_id=new_id))
    return outcomes


def _earlier_answer(
    snapshot: Snapshot,
    requests: list[BookingRequest],
    first_with_key: dict[str, int],
    request: BookingRequest,
) -> Outcome | None:
    key = request.idempotency_key
    assert key is not None
    stored = snapshot.stored.get(key)
    if stored is not None:
        return Replayed(stored.answer) if stored.fingerprint == request.fingerprint else KeyReused()
    if key in first_with_key:
        index = first_with_key[key]
        return SameAs(index) if requests[index].fingerprint == request.fingerprint else KeyReused()
    return None


def _decide_one(
    snapshot: Snapshot,
    request: BookingRequest,
    created: set[str],
    *,
    now: datetime,
    new_id: Callable[[], uuid.UUID],
) -> Outcome:
    try:
        choices = _admissible(snapshot, request, now)
        existing = snapshot.active.get(request.email_key)
        if existing is not None:
            return _already_booked(snapshot, existing, fresh=request.email_key in created, now=now)
        decision = snapshot.places.admit(choices)
    except DomainError as error:
        return Refused(error)
    booking = Booking(
        id=new_id(),
        event_id=snapshot.event.event_id,
        status=decision.status,
        email=request.email.strip(),
        name=request.name.strip(),
        details=request.details,
        created_at=now,
        updated_at=now,
        option_ids=choices,
        waitlist_seq=decision.waitlist_seq,
        partner_id=request.partner_id,
        campaign_id=request.invited_by_campaign,
    )
    snapshot.active[request.email_key] = booking
    created.add(request.email_key)
    return Accepted(booking, decision.waitlist_position)


def _admissible(snapshot: Snapshot, request: BookingRequest, now: datetime) -> Choices:
    event = snapshot.event
    admission.check_bookable(event)
    # What the request itself gets wrong comes before who is asking: an unknown option must
    # answer the same to a member and an outsider, or the answer tells who is on the roster.
    choices = snapshot.checked.get(request.option_ids)
    if choices is None:
        choices = admission.check_choices(snapshot.places.options, request.option_ids)
        snapshot.checked[request.option_ids] = choices
    if not request.on_behalf:
        admission.check_window(event, now)
        admission.check_audience(
            event,
            invited=request.invited_by_campaign is not None,
            on_roster=request.email_key in snapshot.on_roster,
        )
    return choices


def _already_booked(
    snapshot: Snapshot, existing: Booking, *, fresh: bool, now: datetime
) -> Refused:
    error = Conflict(
        "this email already has a booking for this event; its manage link is on its way "
        "to that address",
        code="already_booked",
    )
    # A booking made in this same batch gets its link in its own confirmation email.
    if fresh or not existing.may_resend_link(now):
        return Refused(error)
    marked = replace(existing, link_resent_at=now)
    snapshot.active[email_key(existing.email)] = marked
    return Refused(error, resend=marked)
