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

BY_SERVICE: dict[str, tuple[Subscription, ...]] = {
    "catalogue": (CATALOGUE_BOOKING_EVENTS,),
    "bookings": (BOOKINGS_CATALOGUE_EVENTS, BOOKINGS_CAMPAIGN_EVENTS),
    "notifications": (
        NOTIFICATIONS_CATALOGUE_EVENTS,
        NOTIFICATIONS_BOOKING_EVENTS,
        NOTIFICATIONS_EMAIL_SEND,
        NOTIFICATIONS_CAMPAIGN_WORK,
    ),
    "console": (CONSOLE_STAFF_ACTIONS,),
}


def all_queues() -> list[str]:
    return [sub.queue for subs in BY_SERVICE.values() for sub in subs]
