"""Every consumer queue in the system, by service: part of the contract, so operations tools
(the parked-message command, the deploy topology) know them without importing a service."""

from __future__ import annotations

from shared.messaging.topology import Subscription

# The catalogue keeps a tally of bookings per event, so staff see confirmed and waiting counts
# beside the capacity they set, and a capacity cut below the confirmed count gets a warning.
CATALOGUE_BOOKING_EVENTS = Subscription("catalogue.booking-events", ("bookings.booking.*",))
BOOKINGS_CATALOGUE_EVENTS = Subscription(
    "bookings.catalogue-events", ("catalogue.event.*", "catalogue.cohort.*")
)
# Bookings refuses invitations of a cancelled campaign with their own message.
BOOKINGS_CAMPAIGN_EVENTS = Subscription(
    "bookings.campaign-events", ("notifications.campaign.progressed",)
)
NOTIFICATIONS_CATALOGUE_EVENTS = Subscription(
    "notifications.catalogue-events", ("catalogue.event.*", "catalogue.cohort.*")
)
NOTIFICATIONS_BOOKING_EVENTS = Subscription("notifications.booking-events", ("bookings.booking.*",))
NOTIFICATIONS_EMAIL_SEND = Subscription(
    "notifications.email-send", ("notifications.delivery.queued",)
)
# Campaign fan-out: one work item per chunk of invitees, shared by every notifications process.
NOTIFICATIONS_CAMPAIGN_WORK = Subscription(
    "notifications.campaign-work", ("notifications.campaign_chunk.queued",)
)

# The console keeps one audit log of what staff did, whichever service they did it in.
CONSOLE_STAFF_ACTIONS = Subscription("console.staff-actions", ("*.staff_action.recorded",))

# Privacy requests: each service answers for its own data from its own durable queue, so one
# that is down when asked answers when it returns; the console collects the answers.
_PRIVACY_REQUESTS = ("console.privacy.export_requested", "console.privacy.erasure_requested")
CATALOGUE_PRIVACY = Subscription("catalogue.privacy-requests", _PRIVACY_REQUESTS)
BOOKINGS_PRIVACY = Subscription("bookings.privacy-requests", _PRIVACY_REQUESTS)
NOTIFICATIONS_PRIVACY = Subscription(
    "notifications.privacy-requests", (*_PRIVACY_REQUESTS, "console.privacy.export_ready")
)
CONSOLE_PRIVACY_ANSWERS = Subscription(
    "console.privacy-answers", ("*.privacy.exported", "*.privacy.erased")
)

BY_SERVICE: dict[str, tuple[Subscription, ...]] = {
    "catalogue": (CATALOGUE_BOOKING_EVENTS, CATALOGUE_PRIVACY),
    "bookings": (BOOKINGS_CATALOGUE_EVENTS, BOOKINGS_CAMPAIGN_EVENTS, BOOKINGS_PRIVACY),
    "notifications": (
        NOTIFICATIONS_CATALOGUE_EVENTS,
        NOTIFICATIONS_BOOKING_EVENTS,
        NOTIFICATIONS_EMAIL_SEND,
        NOTIFICATIONS_CAMPAIGN_WORK,
        NOTIFICATIONS_PRIVACY,
    ),
    "console": (CONSOLE_STAFF_ACTIONS, CONSOLE_PRIVACY_ANSWERS),
}


def all_queues() -> list[str]:
    return [sub.queue for subs in BY_SERVICE.values() for sub in subs]
