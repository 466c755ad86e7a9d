"""Routing table: which function handles each message this service consumes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.notifications.handlers import booking_emails, campaign_work, catalogue, sending
from services.notifications.handlers.campaign_progress import ProgressPace
from services.notifications.handlers.campaign_work import CampaignMails
from services.notifications.handlers.confirmations import hot_confirmation
from services.notifications.handlers.queueing import MailingHandler, mailing_table
from services.notifications.persistence.hotpath import HotPath
from services.notifications.privacy.handlers import privacy_handlers, privacy_mailing_handlers
from services.notifications.privacy.suppression import skip_erased_people
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.contracts import CampaignChunkQueued, DeliveryQueued, Envelope, parse_payload
from shared.db import Database
from shared.messaging.handlers import TransactionalHandler, transactional_table
from shared.messaging.queues import (
    NOTIFICATIONS_BOOKING_EVENTS,
    NOTIFICATIONS_CAMPAIGN_WORK,
    NOTIFICATIONS_CATALOGUE_EVENTS,
    NOTIFICATIONS_EMAIL_SEND,
    NOTIFICATIONS_PRIVACY,
)
from shared.runtime import ConsumerSpec


def catalogue_handlers() -> dict[str, TransactionalHandler]:
    return {
        "catalogue.event.published": catalogue.event_published,
        # The replica catches up; nobody is emailed about a change they were told of already.
        "catalogue.event.resynced": catalogue.event_published,
        "catalogue.event.cancelled": catalogue.event_cancelled,
        "catalogue.cohort.member_added": catalogue.member_added,
        "catalogue.cohort.member_removed": catalogue.member_removed,
    }


def catalogue_mailing_handlers(settings: NotificationsSettings) -> dict[str, MailingHandler]:
    return {"catalogue.event.updated": partial(catalogue.event_updated, settings=settings)}


def booking_handlers(settings: NotificationsSettings) -> dict[str, TransactionalHandler]:
    # No email: bookings republished what the booker was told of already.
    return {"bookings.booking.resynced": partial(booking_emails.resynced, settings=settings)}


def booking_mailing_handlers(settings: NotificationsSettings) -> dict[str, MailingHandler]:
    by_verb: dict[str, MailingHandler] = {
        "confirmed": booking_emails.confirmed,
        "waitlisted": booking_emails.waitlisted,
        "promoted": booking_emails.promoted,
        "changed": booking_emails.changed,
        "cancelled": booking_emails.cancelled,
        "manage_link_requested": booking_emails.manage_link_requested,
    }
    return {
        f"bookings.booking.{verb}": partial(fn, settings=settings) for verb, fn in by_verb.items()
    }


def consumer_specs(
    db: Database,
    settings: NotificationsSettings,
    *,
    sender: Sender,
    mails: CampaignMails,
    hot: HotPath,
    pace: ProgressPace | None = None,
) -> Sequence[ConsumerSpec]:
    """Each queue with its handlers; what emails a handler queues, `sender` sends after its
    commit (handlers/queueing.py)."""

    async def send(envelope: Envelope) -> None:
        payload = parse_payload(envelope)
        assert isinstance(payload, DeliveryQueued)
        await sending.send_queued(payload, sender=sender)

    async def chunk(envelope: Envelope) -> None:
        payload = parse_payload(envelope)
        assert isinstance(payload, CampaignChunkQueued)
        await campaign_work.run_chunk(
            payload,
            db=db,
            sender=sender,
            mails=mails,
            hot=hot,
            batch=settings.campaign_claim_batch,
            pace=pace,
        )

    catalogue_queue = NOTIFICATIONS_CATALOGUE_EVENTS.queue
    booking_queue = NOTIFICATIONS_BOOKING_EVENTS.queue
    privacy_queue = NOTIFICATIONS_PRIVACY.queue
    booking = transactional_table(
        db, booking_queue, skip_erased_people(booking_handlers(settings))
    ) | mailing_table(
        db, booking_queue, skip_erased_people(booking_mailing_handlers(settings)), sender
    )
    # One message per booking: the two that tell someone they have a place take the hot
    # path (handlers/confirmations.py), with the handler above for what it does not cover.
    for verb, kind in (("confirmed", "confirmation"), ("promoted", "promoted")):
        type_ = f"bookings.booking.{verb}"
        booking[type_] = hot_confirmation(
            kind,
            consumer=booking_queue,
            hot=hot,
            sender=sender,
            settings=settings,
            otherwise=booking[type_],
        )
    return [
        ConsumerSpec(
            NOTIFICATIONS_CATALOGUE_EVENTS,
            transactional_table(db, catalogue_queue, catalogue_handlers())
            | mailing_table(db, catalogue_queue, catalogue_mailing_handlers(settings), sender),
            prefetch=settings.booking_prefetch,
        ),
        ConsumerSpec(NOTIFICATIONS_BOOKING_EVENTS, booking, prefetch=settings.booking_prefetch),
        ConsumerSpec(
            NOTIFICATIONS_PRIVACY,
            transactional_table(db, privacy_queue, privacy_handlers())
            | mailing_table(db, privacy_queue, privacy_mailing_handlers(settings), sender),
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
