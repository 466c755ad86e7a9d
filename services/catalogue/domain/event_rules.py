"""The rules an event must satisfy whatever its state; each failure names the field at fault.

What needs other records (does the venue exist, is the expectation the programme's) is checked
by the use cases; here only what the event itself says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import Invalid

if TYPE_CHECKING:
    from services.catalogue.domain.events import Event


def validate(event: Event) -> None:
    check_times(event)
    check_sessions(event)
    check_options(event)
    check_audience(event)
    check_booking_window(event)
    check_people(event)
    check_tags(event)


def check_times(event: Event) -> None:
    if event.ends_at <= event.starts_at:
        raise Invalid("ends_at", "must be after starts_at")
    try:
        ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("timezone", f"'{event.timezone}' is not a known time zone") from None


def check_sessions(event: Event) -> None:
    if not event.sessions:
        raise Invalid("sessions", "an event has at least one session")
    _unique_ids("sessions.{}.session_id", [s.id for s in event.sessions])
    previous = None
    for i, session in enumerate(event.sessions):
        if session.ends_at <= session.starts_at:
            raise Invalid(f"sessions.{i}.ends_at", "must be after starts_at")
        if session.starts_at < event.starts_at or session.ends_at > event.ends_at:
            raise Invalid(f"sessions.{i}", "must lie inside the event's starts_at and ends_at")
        if previous is not None and session.starts_at < previous.ends_at:
            raise Invalid(
                f"sessions.{i}.starts_at",
                f"sessions are in time order and do not overlap: this one starts before "
                f"session {i - 1} ends",
            )
        previous = session


def check_options(event: Event) -> None:
    _unique_ids("options.{}.option_id", [o.id for o in event.options])
    names: set[str] = set()
    for i, option in enumerate(event.options):
        if option.name.casefold() in names:
            raise Invalid(f"options.{i}.name", f"another option is called '{option.name}'")
        names.add(option.name.casefold())
        if option.capacity < 0:
            raise Invalid(f"options.{i}.capacity", "must not be negative")
    if event.capacity < 0:
        raise Invalid("capacity", "must not be negative")
    # Each group shares out the event's places on its own (the dinner's activities, the
    # workshop's slots): with options_within_capacity, each group's sum fits the event.
    totals: dict[str, int] = {}
    for option in event.options:
        totals[option.group_name] = totals.get(option.group_name, 0) + option.capacity
    for group, total in totals.items():
        if event.options_within_capacity and total > event.capacity:
            where = f" in '{group}'" if group else ""
            raise Invalid(
                "options",
                f"the options' places{where} add up to {total}, more than the event's "
                f"{event.capacity} places (set options_within_capacity to false if each "
                "option is counted apart)",
            )


def check_audience(event: Event) -> None:
    audience = event.audience
    if audience.kind == "cohorts" and not audience.cohort_ids:
        raise Invalid("audience.cohort_ids", "name at least one cohort for a cohorts audience")
    if audience.kind != "cohorts" and audience.cohort_ids:
        raise Invalid("audience.cohort_ids", f"a {audience.kind} audience names no cohorts")
    _unique_ids("audience.cohort_ids.{}", list(audience.cohort_ids))


def check_booking_window(event: Event) -> None:
    opens, closes = event.booking_opens_at, event.booking_closes_at
    if opens and closes and closes <= opens:
        raise Invalid("booking_closes_at", "must be after booking_opens_at")
    if closes and closes > event.ends_at:
        raise Invalid("booking_closes_at", "must not be after the event ends")
    if opens and opens >= event.ends_at:
        raise Invalid("booking_opens_at", "must be before the event ends")


def check_people(event: Event) -> None:
    zone = ZoneInfo(event.timezone)
    days = {
        d
        for s in event.sessions
        for d in (s.starts_at.astimezone(zone).date(), s.ends_at.astimezone(zone).date())
    }
    seen = set()
    for i, appearance in enumerate(event.people):
        if appearance.day is not None and appearance.day not in days:
            listed = ", ".join(sorted(d.isoformat() for d in days))
            raise Invalid(f"people.{i}.day", f"must be a day of the event's sessions ({listed})")
        if appearance in seen:
            raise Invalid(f"people.{i}", "this person is already listed with this role and day")
        seen.add(appearance)


def check_tags(event: Event) -> None:
    if event.expectations and event.programme_id is None:
        raise Invalid("expectations", "only an event in a programme has its expectations")
    for i, code in enumerate(event.expectations):
        if code in event.expectations[:i]:
            raise Invalid(f"expectations.{i}", f"'{code}' appears twice")


def _unique_ids(location: str, ids: list[object]) -> None:
    """`location` is a format string for the field of the i-th id."""
    for i, value in enumerate(ids):
        if value is not None and value in ids[:i]:
            raise Invalid(location.format(i), "appears twice")
