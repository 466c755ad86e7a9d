"""Events: what an event is made of, and what it may become. No I/O here.

Lifecycle: draft -> published -> cancelled | completed. A draft is private and unversioned
(version 0); publishing makes it version 1, and every later change to a non-draft event takes
the next version, which is what consumers order by.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from services.catalogue.domain import event_rules
from shared.errors import Conflict, Invalid

EventStatus = Literal["draft", "published", "cancelled", "completed"]
AudienceKind = Literal["public", "cohorts", "invitation"]

# After the event, staff still share slides and photos and polish the write-up; the bookable
# facts (times, places, audience) are history by then.
COMPLETED_EDITABLE = frozenset({"summary", "description", "resources", "people"})


def stored_id(part_id: uuid.UUID | None) -> uuid.UUID:
    """The id of a session, option or resource of an event read from storage: only a part
    that is not saved yet has none, and such a part is never shown or published."""
    if part_id is None:
        raise ValueError("this part of the event is not saved yet")
    return part_id


@dataclass(frozen=True)
class Session:
    id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    title: str = ""


@dataclass(frozen=True)
class Option:
    id: uuid.UUID | None
    name: str
    capacity: int
    description: str = ""
    # The option's group (a booking holds at most one option per group; a required group
    # needs one). The unnamed group is the one every event had before groups: its id is
    # None here and the event's id in messages.
    group_id: uuid.UUID | None = None
    group_name: str = ""
    group_required: bool = True


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind = "public"
    cohort_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Appearance:
    """A person on an event: their role (facilitator, speaker, ...) and the day, if one."""

    person_id: uuid.UUID
    role: str = ""
    day: date | None = None


@dataclass(frozen=True)
class Resource:
    id: uuid.UUID | None
    title: str
    url: str
    kind: str = "other"


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    programme_id: uuid.UUID | None = None
    kind: str = "event"
    summary: str = ""
    description: str = ""
    timezone: str = "Europe/London"
    venue_id: uuid.UUID | None = None
    options_within_capacity: bool = True
    sessions: tuple[Session, ...] = ()
    options: tuple[Option, ...] = ()
    audience: Audience = field(default_factory=Audience)
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None
    waitlist_enabled: bool = True
    people: tuple[Appearance, ...] = ()
    resources: tuple[Resource, ...] = ()
    expectations: tuple[str, ...] = ()
    status: EventStatus = "draft"
    version: int = 0
    cancel_reason: str = ""


@dataclass(frozen=True)
class ChangeWarning:
    code: str
    field: str
    message: str


def new_event(**values: Any) -> Event:
    """A draft with ids for its parts and, when no sessions are given, one spanning it."""
    event = Event(id=uuid.uuid4(), **values)
    event = _normalised(event, replace(event, sessions=(), options=(), resources=()))
    if not event.sessions:
        event = replace(event, sessions=(Session(uuid.uuid4(), event.starts_at, event.ends_at),))
    event_rules.validate(event)
    return event


@dataclass(frozen=True)
class ConfirmedPlaces:
    """Confirmed places as far as the catalogue has heard from bookings (its booking tally)."""

    total: int = 0
    by_option: Mapping[uuid.UUID, int] = field(default_factory=dict)


def change(
    event: Event, changes: Mapping[str, Any], confirmed: ConfirmedPlaces | None = None
) -> tuple[Event, list[ChangeWarning]]:
    """The event with `changes` applied, validated, versioned if it is public, and warnings
    for staff about places taken away. Changing nothing returns the same event, unversioned."""
    _check_editable(event, changes)
    changes = dict(changes)
    if ("starts_at" in changes or "ends_at" in changes) and "sessions" not in changes:
        changes["sessions"] = _follow_single_session(event, changes)
    updated = _normalised(replace(event, **changes), event)
    event_rules.validate(updated)
    if updated == event:
        return event, []
    published = event.status == "published"
    warnings = capacity_warnings(event, updated, confirmed) if published else []
    return bumped(updated), warnings


def bumped(event: Event) -> Event:
    """The next version of a public event, for any change to what it publishes."""
    return event if event.status == "draft" else replace(event, version=event.version + 1)


def publish(event: Event, *, now: datetime) -> Event:
    if event.status != "draft":
        raise Conflict(
            f"only a draft can be published; this event is {event.status}", code="not_draft"
        )
    if event.ends_at <= now:
        raise Conflict("this event has already ended", code="event_over")
    return replace(event, status="published", version=event.version + 1)


def cancel(event: Event, *, reason: str) -> Event:
    if event.status == "draft":
        raise Conflict("a draft was never public: delete it instead", code="not_published")
    if event.status != "published":
        raise Conflict(f"this event is already {event.status}", code="not_published")
    return replace(event, status="cancelled", cancel_reason=reason, version=event.version + 1)


def complete(event: Event, *, now: datetime) -> Event:
    if event.status != "published":
        raise Conflict(
            f"only a published event can be completed; this one is {event.status}",
            code="not_published",
        )
    if event.starts_at > now:
        raise Conflict("this event has not started yet", code="not_started")
    return replace(event, status="completed", version=event.version + 1)


def check_deletable(event: Event) -> None:
    if event.status != "draft":
        raise Conflict(
            "only a draft can be deleted; cancel a published event instead", code="not_draft"
        )


def capacity_warnings(
    old: Event, new: Event, confirmed: ConfirmedPlaces | None = None
) -> list[ChangeWarning]:
    """Fewer places are allowed (bookings decides what that means): say what will happen, and
    say it loudly when fewer places remain than are already confirmed. The counts come from
    the catalogue's booking tally, which follows bookings' messages a moment behind."""
    then = " Bookings keeps every confirmed place and takes new bookings onto the waiting list "
    then += "until there is room."
    confirmed = confirmed or ConfirmedPlaces()
    warnings = []
    if new.capacity < old.capacity:
        below = confirmed.total > new.capacity
        warnings.append(
            ChangeWarning(
                "capacity_below_confirmed" if below else "capacity_reduced",
                "capacity",
                f"Places reduced from {old.capacity} to {new.capacity}"
                + (f", below the {confirmed.total} already confirmed" if below else "")
                + f".{then}",
            )
        )
    kept = {o.id: (i, o) for i, o in enumerate(new.options)}
    for before in old.options:
        if before.id not in kept:
            warnings.append(
                ChangeWarning(
                    "option_removed",
                    "options",
                    f"The option '{before.name}' was removed. Bookings keeps the bookings "
                    "already made with it and offers it no more.",
                )
            )
            continue
        i, after = kept[before.id]
        if after.capacity < before.capacity:
            taken = confirmed.by_option.get(after.id, 0) if after.id is not None else 0
            below = taken > after.capacity
            warnings.append(
                ChangeWarning(
                    "option_below_confirmed" if below else "option_capacity_reduced",
                    f"options.{i}.capacity",
                    f"Places for '{after.name}' reduced from {before.capacity} to "
                    f"{after.capacity}"
                    + (f", below the {taken} already confirmed" if below else "")
                    + f".{then}",
                )
            )
    return warnings


def _check_editable(event: Event, changes: Mapping[str, Any]) -> None:
    if event.status == "cancelled":
        raise Conflict("a cancelled event cannot be changed", code="event_cancelled")
    if event.status == "completed":
        frozen = sorted(set(changes) - COMPLETED_EDITABLE)
        if frozen:
            raise Conflict(
                f"a completed event keeps its {', '.join(frozen)}",
                code="event_completed",
                fields=frozen,
            )


def _follow_single_session(event: Event, changes: Mapping[str, Any]) -> tuple[Session, ...]:
    """An event with its one default session moves it along when its times change."""
    only = event.sessions[0] if len(event.sessions) == 1 else None
    if only and (only.starts_at, only.ends_at) == (event.starts_at, event.ends_at):
        starts = changes.get("starts_at", event.starts_at)
        ends = changes.get("ends_at", event.ends_at)
        return (replace(only, starts_at=starts, ends_at=ends),)
    return event.sessions


def _normalised(event: Event, previous: Event) -> Event:
    """Parts keep their ids across edits, since bookings refers to options by id."""
    return replace(
        event,
        sessions=_with_ids("sessions", previous.sessions, event.sessions, lambda i, _: i),
        options=_with_group_ids(
            previous.options,
            _with_ids("options", previous.options, event.options, lambda _, o: o.name.casefold()),
        ),
        resources=_with_ids("resources", previous.resources, event.resources, lambda _, r: r.url),
    )


def _with_group_ids(old: Sequence[Option], new: Sequence[Option]) -> tuple[Option, ...]:
    """A named group keeps its id across edits (matched by the id sent, else by name), so the
    widget's form and bookings' replica follow it; the unnamed group needs none."""
    known = {o.group_id for o in old if o.group_id is not None}
    by_name = {o.group_name.casefold(): o.group_id for o in old if o.group_id is not None}
    given: dict[str, uuid.UUID] = {}
    result = []
    for i, option in enumerate(new):
        key = option.group_name.casefold()
        if not key:
            result.append(replace(option, group_id=None, group_required=True))
            continue
        if option.group_id is not None and option.group_id not in known:
            raise Invalid(f"option_groups.{i}.group_id", "this event has no such option group")
        group_id = given.get(key) or option.group_id or by_name.get(key) or uuid.uuid4()
        given.setdefault(key, group_id)
        result.append(replace(option, group_id=group_id))
    return tuple(result)


def _with_ids(
    name: str, old: Sequence[Any], new: Sequence[Any], match: Callable[[int, Any], object]
) -> tuple[Any, ...]:
    """Give each new part an id: its own if it names one of this event's, else the id of the
    old part it matches (same position for sessions, same name for options, same URL for
    resources), else a fresh one."""
    known = {part.id for part in old}
    by_key = {match(i, part): part.id for i, part in enumerate(old)}
    taken = {part.id for part in new if part.id is not None}
    result = []
    for i, part in enumerate(new):
        if part.id is not None and part.id not in known:
            raise Invalid(f"{name}.{i}.{name[:-1]}_id", f"this event has no such {name[:-1]}")
        if part.id is None:
            candidate = by_key.get(match(i, part))
            part_id = candidate if candidate and candidate not in taken else uuid.uuid4()
            taken.add(part_id)
            part = replace(part, id=part_id)
        result.append(part)
    return tuple(result)
