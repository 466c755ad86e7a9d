"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence

from services.bookings import handlers
from shared.messaging.handlers import transactional_table
from shared.messaging.queues import BOOKINGS_CATALOGUE_EVENTS
from shared.runtime import ConsumerSpec, Runtime

CATALOGUE_EVENT_HANDLERS = {
    "catalogue.event.published": handlers.apply_event_state,
    "catalogue.event.updated": handlers.apply_event_state,
    "catalogue.event.cancelled": handlers.apply_event_state,
}


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    return [
        ConsumerSpec(
            BOOKINGS_CATALOGUE_EVENTS,
            transactional_table(
                runtime.db, BOOKINGS_CATALOGUE_EVENTS.queue, CATALOGUE_EVENT_HANDLERS
            ),
        )
    ]
