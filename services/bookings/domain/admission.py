"""Who may book an event, and when: status, booking window, audience, option."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.bookings.domain.capacity import OptionPlaces
from shared.errors import Conflict, Forbidden, Invalid


@dataclass(frozen=True)
class EventFacts:
    """The bookable facts of an event, as held in the replica when a decision is taken."""

    event_id: uuid.UUID
    version: int
    status: str
    title: str
    starts_at: datetime
    ends_at: datetime
    audience_kind: str = "public"
    cohort_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None

    @property
    def closes_at(self) -> datetime:
        """Without an explicit close, booking closes when the event starts."""
        return self.booking_closes_at or self.starts_at

    def window(self) -> dict[str, datetime | None]:
        return {"opens_at": self.booking_opens_at, "closes_at": self.closes_at}

    def window_open(self, now: datetime) -> bool:
        opened = self.booking_opens_at is None or now >= self.booking_opens_at
        return opened and now < self.closes_at

    def auto_promotion(self, now: datetime, cutoff: timedelta) -> bool:
        """Waiting people are promoted by themselves only until the cut-off before the start."""
        return self.status == "published" and now < self.starts_at - cutoff


def check_bookable(event: EventFacts) -> None:
    if event.status != "published":
        raise Conflict(f"this event is {event.status}", code="event_not_bookable")


def check_window(event: EventFacts, now: datetime) -> None:
    if event.booking_opens_at is not None and now < event.booking_opens_at:
        raise Conflict("booking has not opened yet", code="booking_not_open", window=event.window())
    if now >= event.closes_at:
        raise Conflict("booking has closed", code="booking_closed", window=event.window())


def check_audience(event: EventFacts, *, invited: bool, on_roster: bool) -> None:
    """A valid invitation for this event and address admits to any audience (staff sent it);
    otherwise cohort events take their cohorts' members and invitation events nobody."""
    if invited or event.audience_kind == "public":
        return
    if event.audience_kind == "invitation":
        raise Forbidden("this event is by invitation only", code="invitation_required")
    if not on_roster:
        raise Forbidden(
            "this event is for members of its cohorts; this address is not on their rosters",
            code="not_on_roster",
        )


def check_option(options: dict[uuid.UUID, OptionPlaces], option_id: uuid.UUID | None) -> None:
    if not options:
        if option_id is not None:
            raise Invalid("option_id", "this event has no options to choose from")
        return
    if option_id is None:
        raise Invalid("option_id", "choose one of the event's options")
    option = options.get(option_id)
    if option is None or option.withdrawn:
        raise Invalid("option_id", "not an option of this event")


def booking_state(event: EventFacts, remaining: int, waitlist_enabled: bool, now: datetime) -> str:
    """What a booking made now would get, for the widget to show before anyone types."""
    if event.status != "published":
        return event.status
    if event.booking_opens_at is not None and now < event.booking_opens_at:
        return "not_open_yet"
    if now >= event.closes_at:
        return "closed"
    if remaining > 0:
        return "open"
    return "waitlist" if waitlist_enabled else "full"
