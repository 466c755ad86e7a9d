"""Routing key -> (payload version, payload model): the single table of the contract."""

from __future__ import annotations

from pydantic import BaseModel

from shared.contracts.bookings import (
    AttendanceMarked,
    BookingCancelled,
    BookingChanged,
    BookingState,
)
from shared.contracts.catalogue import (
    CohortMemberAdded,
    CohortMemberRemoved,
    EventCancelled,
    EventState,
)
from shared.contracts.envelope import Envelope
from shared.contracts.notifications import (
    CampaignChunkQueued,
    CampaignProgress,
    DeliveryQueued,
    EmailOutcome,
)
from shared.contracts.privacy import (
    PrivacyErased,
    PrivacyExported,
    PrivacyExportReady,
    PrivacyRequested,
)
from shared.contracts.staff import StaffActionRecorded

REGISTRY: dict[str, tuple[int, type[BaseModel]]] = {
    "catalogue.event.published": (1, EventState),
    "catalogue.event.updated": (1, EventState),
    "catalogue.event.cancelled": (1, EventCancelled),
    # The current state republished by `python -m services.catalogue.resync` (after a restore):
    # replicas apply it under their version guard; nobody is emailed because of it.
    "catalogue.event.resynced": (1, EventState),
    "catalogue.cohort.member_added": (1, CohortMemberAdded),
    "catalogue.cohort.member_removed": (1, CohortMemberRemoved),
    "bookings.booking.confirmed": (1, BookingState),
    "bookings.booking.waitlisted": (1, BookingState),
    "bookings.booking.promoted": (1, BookingState),
    "bookings.booking.changed": (1, BookingChanged),
    "bookings.booking.cancelled": (1, BookingCancelled),
    # `python -m services.bookings.resync`: as `catalogue.event.resynced`, never an email.
    "bookings.booking.resynced": (1, BookingState),
    # A second booking attempt for an address that already has one: send its manage link again.
    "bookings.booking.manage_link_requested": (1, BookingState),
    # Door check-in and staff marks (attended / no-show) per booking and session.
    "bookings.attendance.marked": (1, AttendanceMarked),
    "bookings.attendance.unmarked": (1, AttendanceMarked),
    "notifications.email.sent": (1, EmailOutcome),
    "notifications.email.failed": (1, EmailOutcome),
    "notifications.campaign.progressed": (1, CampaignProgress),
    "notifications.campaign.completed": (1, CampaignProgress),
    "notifications.delivery.queued": (1, DeliveryQueued),
    "notifications.campaign_chunk.queued": (1, CampaignChunkQueued),
    "catalogue.staff_action.recorded": (1, StaffActionRecorded),
    "bookings.staff_action.recorded": (1, StaffActionRecorded),
    "notifications.staff_action.recorded": (1, StaffActionRecorded),
    # Privacy requests (shared/contracts/privacy.py): the console asks, each service answers.
    "console.privacy.export_requested": (1, PrivacyRequested),
    "console.privacy.erasure_requested": (1, PrivacyRequested),
    "console.privacy.export_ready": (1, PrivacyExportReady),
    **{
        f"{service}.privacy.{verb}": (1, model)
        for service in ("catalogue", "bookings", "notifications")
        for verb, model in (("exported", PrivacyExported), ("erased", PrivacyErased))
    },
}


class UnknownMessageType(ValueError):
    pass


def payload_version(type_: str) -> int:
    try:
        return REGISTRY[type_][0]
    except KeyError:
        raise UnknownMessageType(type_) from None


def parse_payload(envelope: Envelope) -> BaseModel:
    """The typed payload of an envelope; a newer version than this code knows is refused."""
    try:
        version, model = REGISTRY[envelope.type]
    except KeyError:
        raise UnknownMessageType(envelope.type) from None
    if envelope.version > version:
        raise UnknownMessageType(
            f"{envelope.type} v{envelope.version} (this code knows v{version})"
        )
    return model.model_validate(envelope.payload)
