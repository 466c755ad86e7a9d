"""Who may book an event, and when: status, booking window, audience, options."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.bookings.domain.capacity import Choices, OptionPlaces
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


def check_choices(
    options: dict[uuid.UUID, OptionPlaces],
    option_ids: Sequence[uuid.UUID],
    *,
    held: Sequence[uuid.UUID] = (),
) -> Choices:
    """The choices in the groups' order: each an option of this event still offered (or one
    the booking already `held`, though withdrawn since), at most one per group, one in every
    required group that offers any."""
    if not options:
        if option_ids:
            raise Invalid("option_ids", "this event has no options to choose from")
        return ()
    by_group: dict[uuid.UUID, OptionPlaces] = {}
    for option_id in option_ids:
        option = options.get(option_id)
        if option is None or (option.withdrawn and option_id not in held):
            raise Invalid("option_ids", "not an option of this event")
        other = by_group.get(option.group_id)
        if other is not None and other.option_id != option_id:
            raise Invalid("option_ids", f"choose at most one option in {_group(option)}")
        by_group[option.group_id] = option
    missing = [
        o
        for o in options.values()
        if o.group_required and not o.withdrawn and o.group_id not in by_group
    ]
    if missing:
        first = min(missing, key=_order)
        raise Invalid("option_ids", f"choose one of the options in {_group(first)}")
    if len(by_group) == 1:
        return tuple(o.option_id for o in by_group.values())
    return tuple(o.option_id for o in sorted(by_group.values(), key=_order))


def _order(option: OptionPlaces) -> tuple[int, int]:
    return option.group_position, option.position


def changed_choices(
    options: dict[uuid.UUID, OptionPlaces],
    held: Choices,
    picks: Mapping[uuid.UUID, uuid.UUID | None],
) -> Choices:
    """The choices after a change: each group named in `picks` gets its option (None: none),
    every other group keeps what the booking holds."""
    groups = {o.group_id for o in options.values()}
    for group_id, option_id in picks.items():
        if group_id not in groups:
            raise Invalid("choices", "not an option group of this event")
        if option_id is not None and (
            option_id not in options or options[option_id].group_id != group_id
        ):
            raise Invalid("choices", "not an option of this group")
    kept = [o for o in held if o not in options or options[o].group_id not in picks]
    new = kept + [o for o in picks.values() if o is not None]
    return check_choices(options, new, held=held)


def lone_pick(
    options: dict[uuid.UUID, OptionPlaces], option_id: uuid.UUID | None
) -> dict[uuid.UUID, uuid.UUID | None]:
    """A lone `option_id`, as clients sent before groups: that option in its own group; None
    leaves the first group (an error if it is required)."""
    if option_id is None:
        first = min(options.values(), key=_order, default=None)
        return {first.group_id: None} if first else {}
    option = options.get(option_id)
    if option is None:
        raise Invalid("option_id", "not an option of this event")
    return {option.group_id: option_id}


def _group(option: OptionPlaces) -> str:
    return f"'{option.group_name}'" if option.group_name else "the event's options"


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
