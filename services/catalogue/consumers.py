"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence

from services.catalogue.handlers import tally as handlers
from services.catalogue.privacy.handlers import PRIVACY_HANDLERS
from services.catalogue.settings import CatalogueSettings
from shared.messaging.handlers import one_statement_batch, transactional_table
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


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    settings = runtime.settings
    linger = settings.booking_events_linger if isinstance(settings, CatalogueSettings) else 0.0
    return [
        ConsumerSpec(
            CATALOGUE_BOOKING_EVENTS,
            transactional_table(runtime.db, CATALOGUE_BOOKING_EVENTS.queue, BOOKING_EVENT_HANDLERS),
            # The busiest queue (one message per booking decision): what is delivered
            # together, a lone message too, is claimed and applied in one statement.
            batch=one_statement_batch(
                runtime.db, CATALOGUE_BOOKING_EVENTS.queue, handlers.record_bookings
            ),
            linger=linger,
        ),
        ConsumerSpec(
            CATALOGUE_PRIVACY,
            transactional_table(runtime.db, CATALOGUE_PRIVACY.queue, PRIVACY_HANDLERS),
        ),
    ]
