"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.bookings import handlers
from services.bookings.privacy.handlers import privacy_handlers
from services.bookings.settings import BookingsSettings
from shared.messaging.handlers import TransactionalHandler, transactional_table
from shared.messaging.queues import (
    BOOKINGS_CAMPAIGN_EVENTS,
    BOOKINGS_CATALOGUE_EVENTS,
    BOOKINGS_PRIVACY,
)
from shared.runtime import ConsumerSpec, Runtime


def catalogue_handlers(settings: BookingsSettings) -> dict[str, TransactionalHandler]:
    apply_event_state = partial(handlers.apply_event_state, settings=settings)
    return {
        "catalogue.event.published": apply_event_state,
        "catalogue.event.updated": apply_event_state,
        "catalogue.event.cancelled": apply_event_state,
        # A newer version applies like any update; an equal or older one changes nothing.
        "catalogue.event.resynced": apply_event_state,
        "catalogue.cohort.member_added": handlers.apply_member_added,
        "catalogue.cohort.member_removed": handlers.apply_member_removed,
    }


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    settings = runtime.settings
    assert isinstance(settings, BookingsSettings)
    return [
        ConsumerSpec(
            BOOKINGS_CATALOGUE_EVENTS,
            transactional_table(
                runtime.db, BOOKINGS_CATALOGUE_EVENTS.queue, catalogue_handlers(settings)
            ),
        ),
        ConsumerSpec(
            BOOKINGS_CAMPAIGN_EVENTS,
            transactional_table(
                runtime.db,
                BOOKINGS_CAMPAIGN_EVENTS.queue,
                {"notifications.campaign.progressed": handlers.apply_campaign_progress},
            ),
        ),
        ConsumerSpec(BOOKINGS_PRIVACY, privacy_handlers(runtime.db, settings)),
    ]
