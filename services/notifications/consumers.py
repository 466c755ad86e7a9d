"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from services.notifications.handlers import booking_emails, campaign_work, catalogue, sending
from services.notifications.handlers.queueing import send_after_commit
from services.notifications.privacy.handlers import privacy_handlers
from services.notifications.privacy.suppression import skip_erased_people
from services.notifications.settings import NotificationsSettings
from services.notifications.workers import Workers
from shared.contracts import CampaignChunkQueued, DeliveryQueued, Envelope, parse_payload
from shared.messaging.consumer import Handler
from shared.messaging.handlers import transactional_table
from shared.messaging.queues import (
    NOTIFICATIONS_BOOKING_EVENTS,
    NOTIFICATIONS_CAMPAIGN_WORK,
    NOTIFICATIONS_CATALOGUE_EVENTS,
    NOTIFICATIONS_EMAIL_SEND,
    NOTIFICATIONS_PRIVACY,
)
from shared.runtime import ConsumerFactory, ConsumerSpec, Runtime


def catalogue_handlers(settings: NotificationsSettings) -> dict[str, Callable[..., object]]:
    return {
        "catalogue.event.published": catalogue.event_published,
        # The replica catches up; nobody is emailed about a change they were told of already.
        "catalogue.event.resynced": catalogue.event_published,
        "catalogue.event.updated": partial(catalogue.event_updated, settings=settings),
        "catalogue.event.cancelled": catalogue.event_cancelled,
        "catalogue.cohort.member_added": catalogue.member_added,
        "catalogue.cohort.member_removed": catalogue.member_removed,
    }


def booking_handlers(settings: NotificationsSettings) -> dict[str, Callable[..., object]]:
    return {
        f"bookings.booking.{verb}": partial(fn, settings=settings)
        for verb, fn in {
            "confirmed": booking_emails.confirmed,
            "waitlisted": booking_emails.waitlisted,
            "promoted": booking_emails.promoted,
            "changed": booking_emails.changed,
            "cancelled": booking_emails.cancelled,
            "manage_link_requested": booking_emails.manage_link_requested,
            "resynced": booking_emails.resynced,
        }.items()
    }


def sending_after_commit(table: dict[str, Handler], workers: Workers) -> dict[str, Handler]:
    """Each handler's emails are sent by this process as soon as its transaction committed
    (see `handlers/queueing.py`); a handler that failed committed nothing and sends nothing."""

    def wrap(handler: Handler) -> Handler:
        async def handle(envelope: Envelope) -> None:
            with send_after_commit() as queued:
                await handler(envelope)
            if queued:
                workers.sender.send_soon(queued)

        return handle

    return {type_: wrap(handler) for type_, handler in table.items()}


def consumer_factory(workers: Workers) -> ConsumerFactory:
    def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
        settings = workers.settings
        db = runtime.db
        workers.bind(db, wake_relay=runtime.relay.wake)

        async def send(envelope: Envelope) -> None:
            payload = parse_payload(envelope)
            assert isinstance(payload, DeliveryQueued)
            await sending.send_queued(payload, sender=workers.sender)

        async def chunk(envelope: Envelope) -> None:
            payload = parse_payload(envelope)
            assert isinstance(payload, CampaignChunkQueued)
            await campaign_work.run_chunk(
                payload,
                db=db,
                sender=workers.sender,
                mails=workers.mails,
                hot=workers.hot,  # type: ignore[arg-type]
                batch=settings.campaign_claim_batch,
            )

        return [
            ConsumerSpec(
                NOTIFICATIONS_CATALOGUE_EVENTS,
                sending_after_commit(
                    transactional_table(
                        db,
                        NOTIFICATIONS_CATALOGUE_EVENTS.queue,
                        catalogue_handlers(settings),  # type: ignore[arg-type]
                    ),
                    workers,
                ),
                prefetch=settings.booking_prefetch,
            ),
            ConsumerSpec(
                NOTIFICATIONS_BOOKING_EVENTS,
                sending_after_commit(
                    transactional_table(
                        db,
                        NOTIFICATIONS_BOOKING_EVENTS.queue,
                        skip_erased_people(booking_handlers(settings)),  # type: ignore[arg-type]
                    ),
                    workers,
                ),
                prefetch=settings.booking_prefetch,
            ),
            ConsumerSpec(
                NOTIFICATIONS_PRIVACY,
                sending_after_commit(
                    transactional_table(
                        db, NOTIFICATIONS_PRIVACY.queue, privacy_handlers(settings)
                    ),
                    workers,
                ),
            ),
            ConsumerSpec(
                NOTIFICATIONS_EMAIL_SEND,
                {"notifications.delivery.queued": send},
                prefetch=settings.email_prefetch,
            ),
            ConsumerSpec(
                NOTIFICATIONS_CAMPAIGN_WORK,
                {"notifications.campaign_chunk.queued": chunk},
                prefetch=settings.campaign_prefetch,
                on_park=partial(campaign_work.on_chunk_parked, db=db),
            ),
        ]

    return consumers
