"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.notifications import handlers
from services.notifications.mailer import Mailer
from services.notifications.settings import NotificationsSettings
from shared.contracts import DeliveryQueued, Envelope, parse_payload
from shared.messaging.handlers import transactional_table
from shared.messaging.queues import (
    NOTIFICATIONS_BOOKING_EVENTS,
    NOTIFICATIONS_CATALOGUE_EVENTS,
    NOTIFICATIONS_EMAIL_SEND,
)
from shared.runtime import ConsumerSpec, Runtime

CATALOGUE_EVENT_HANDLERS = {
    "catalogue.event.published": handlers.apply_event_state,
    "catalogue.event.updated": handlers.apply_event_state,
    "catalogue.event.cancelled": handlers.apply_event_state,
}

BOOKING_EMAILS = {
    "bookings.booking.confirmed": "confirmation",
    "bookings.booking.waitlisted": "waitlisted",
}


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    db = runtime.db
    mailer = Mailer(settings)
    booking_handlers = {
        type_: partial(handlers.queue_booking_email, kind=kind, settings=settings)
        for type_, kind in BOOKING_EMAILS.items()
    }

    async def send(envelope: Envelope) -> None:
        payload = parse_payload(envelope)
        assert isinstance(payload, DeliveryQueued)
        await handlers.send_delivery(payload, db=db, mailer=mailer, settings=settings)

    return [
        ConsumerSpec(
            NOTIFICATIONS_CATALOGUE_EVENTS,
            transactional_table(db, NOTIFICATIONS_CATALOGUE_EVENTS.queue, CATALOGUE_EVENT_HANDLERS),
        ),
        ConsumerSpec(
            NOTIFICATIONS_BOOKING_EVENTS,
            transactional_table(db, NOTIFICATIONS_BOOKING_EVENTS.queue, booking_handlers),
        ),
        ConsumerSpec(NOTIFICATIONS_EMAIL_SEND, {"notifications.delivery.queued": send}, prefetch=8),
    ]
