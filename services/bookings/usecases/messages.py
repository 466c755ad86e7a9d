"""Every change to a booking leaves through the outbox as `bookings.booking.*`, carrying the
whole booking, with the manage link rebuilt from the booking id."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from structlog.contextvars import bind_contextvars, unbind_contextvars

from services.bookings.domain import bookings as rules
from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking, MessageContext
from services.bookings.domain.capacity import Choices, Places
from services.bookings.domain.tokens import checkin_token, checkin_url, manage_token, manage_url
from services.bookings.settings import BookingsSettings
from shared.contracts import BookingChoice
from shared.db import UnitOfWork


def choices_of(places: Places, option_ids: Choices) -> tuple[BookingChoice, ...]:
    """The booking's choices with their groups' and options' names, for messages and views."""
    chosen = [places.options[o] for o in option_ids if o in places.options]
    # Built from the replica's own rows under the lock: nothing to validate (and this runs
    # for every message of the hot path).
    return tuple(
        BookingChoice.model_construct(
            group_id=o.group_id,
            group_name=o.group_name,
            option_id=o.option_id,
            option_name=o.name,
        )
        for o in chosen
    )


def link_for(settings: BookingsSettings, booking_id: uuid.UUID) -> tuple[str, str]:
    """The booking's manage token and the link that carries it."""
    token = manage_token(settings.manage_token_key.get_secret_value().encode(), booking_id)
    return token, manage_url(settings.public_base_url, token)


def checkin_link_for(settings: BookingsSettings, booking_id: uuid.UUID) -> tuple[str, str]:
    """The booking's check-in token and the console link (the QR code) that carries it."""
    token = checkin_token(settings.manage_token_key.get_secret_value().encode(), booking_id)
    return token, checkin_url(settings.console_public_url, token)


class Emitter:
    """Writes each message through `uow.emit`."""

    def __init__(
        self, uow: UnitOfWork, settings: BookingsSettings, facts: EventFacts, places: Places
    ) -> None:
        self._uow = uow
        self._settings = settings
        self._facts = facts
        self._places = places
        # A batch's bookings share a few combinations of choices: each is built once.
        self._choices: dict[Choices, tuple[BookingChoice, ...]] = {}

    def choices(self, option_ids: Choices) -> tuple[BookingChoice, ...]:
        built = self._choices.get(option_ids)
        if built is None:
            built = self._choices[option_ids] = choices_of(self._places, option_ids)
        return built

    def context(self, booking: Booking, position: int | None = None) -> MessageContext:
        return MessageContext(
            event_version=self._facts.version,
            manage_url=link_for(self._settings, booking.id)[1],
            checkin_url=checkin_link_for(self._settings, booking.id)[1],
            choices=self.choices(booking.option_ids),
            waitlist_position=position,
        )

    def state(
        self,
        kind: str,
        booking: Booking,
        *,
        position: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """`confirmed`, `waitlisted`, `promoted` or `manage_link_requested`."""
        payload = rules.to_state(booking, self.context(booking, position))
        self._emit(f"bookings.booking.{kind}", payload, correlation_id)

    def changed(self, booking: Booking, *, previous: Choices, position: int | None) -> None:
        payload = rules.to_changed(
            booking, self.context(booking, position), previous=self.choices(previous)
        )
        self._emit("bookings.booking.changed", payload, None)

    def cancelled(self, booking: Booking) -> None:
        self._emit(
            "bookings.booking.cancelled", rules.to_cancelled(booking, self.context(booking)), None
        )

    def _emit(self, routing_key: str, payload: BaseModel, correlation_id: str | None) -> None:
        if correlation_id is not None:
            # Decided in a batch: each message carries the correlation id of its own request.
            # (Bound in the batch task's own context; `unbind` clears it after the batch.)
            bind_contextvars(correlation_id=correlation_id, message_id=None)
        self._uow.emit(routing_key, payload)

    def unbind(self) -> None:
        unbind_contextvars("correlation_id", "message_id")
