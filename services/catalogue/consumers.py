"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence

from services.catalogue.handlers import tally as handlers
from services.catalogue.privacy.handlers import PRIVACY_HANDLERS
from shared.messaging.handlers import transactional_batch, transactional_table
from shared.messaging.queues import CATALOGUE_BOOKING_EVENTS, CATALOGUE_PRIVACY
from shared.runtime import ConsumerSpec, Runtime

BOOKING_EVENT_HANDLERS = {
    "bookings.booking.confirmed": handlers.record_booking,
    "bookings.booking.waitlisted": handlers.record_booking,
    "bookings.booking.promoted": handlers.record_booking,
    "bookings.booking.changed": handlers.record_booking,
    "bookings.booking.cancelled": handlers.record_booking,
    "bookings.booking.resynced": handlers.record_booking,
}
# The busiest queue (one message per booking decision): applied in batches.
BOOKING_EVENT_BATCH = {type_: handlers.record_bookings for type_ in BOOKING_EVENT_HANDLERS}


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    return [
        ConsumerSpec(
            CATALOGUE_BOOKING_EVENTS,
            transactional_table(runtime.db, CATALOGUE_BOOKING_EVENTS.queue, BOOKING_EVENT_HANDLERS),
            batch=transactional_batch(
                runtime.db,
                CATALOGUE_BOOKING_EVENTS.queue,
                BOOKING_EVENT_HANDLERS,
                BOOKING_EVENT_BATCH,
            ),
        ),
        ConsumerSpec(
            CATALOGUE_PRIVACY,
            transactional_table(runtime.db, CATALOGUE_PRIVACY.queue, PRIVACY_HANDLERS),
        ),
    ]
