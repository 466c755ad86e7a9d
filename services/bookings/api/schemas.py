"""What the public (widget) API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.attendees import Email, Needs, PersonName, Role, Sector


class AttendeeIn(BaseModel):
    name: PersonName
    # Reserved domains and non-ASCII local parts cannot receive the confirmation, so they
    # are refused up front.
    email: Email
    # Required here (the attendee list is read by organisation), optional on a roster.
    organisation: PersonName
    role: Role = ""
    sector: Sector | None = None
    dietary_needs: Needs = ""
    access_needs: Needs = ""
    consent_to_contact: bool = False
    option_id: uuid.UUID | None = Field(
        default=None,
        description="An event with one group of options: the chosen one (as before groups).",
    )
    option_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="The options chosen, at most one per option group; one is needed in "
        "every required group, none in an optional one takes no place.",
    )

    def chosen(self) -> tuple[uuid.UUID, ...]:
        both = [*([self.option_id] if self.option_id else []), *self.option_ids]
        return tuple(dict.fromkeys(both))


class BookingCreate(AttendeeIn):
    invitation: str | None = Field(
        default=None,
        max_length=2000,
        description="The signed token from a personal invitation link, if the booker has one.",
    )


class BookingAnswer(BaseModel):
    booking_id: uuid.UUID
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None
    manage_token: str
    manage_url: str
    option_id: uuid.UUID | None = Field(default=None, description="The first group's choice.")
    option_ids: list[uuid.UUID] = Field(default_factory=list)


class Choice(BaseModel):
    """The option a booking holds in one group."""

    group_id: uuid.UUID
    group_name: str
    option_id: uuid.UUID
    option_name: str


class OptionAvailability(BaseModel):
    option_id: uuid.UUID
    group_id: uuid.UUID
    name: str
    description: str
    capacity: int
    remaining: int = Field(description="Places left in this option (and in the event).")
    waiting: int


class OptionGroupAvailability(BaseModel):
    group_id: uuid.UUID
    name: str
    required: bool = Field(description="One option must be chosen; else 'none' is allowed.")
    options: list[OptionAvailability]


class BookingWindow(BaseModel):
    opens_at: datetime | None
    closes_at: datetime
    open: bool


class Audience(BaseModel):
    kind: Literal["public", "cohorts", "invitation"]


class Venue(BaseModel):
    name: str
    address: str = ""
    accessibility: str = ""
    map_url: str | None = None


class Session(BaseModel):
    session_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


class Person(BaseModel):
    """Someone leading the event: a facilitator or a guest speaker, with their role."""

    name: str
    title: str = ""
    organisation: str = ""
    role: str = ""


BookingState = Literal[
    "open", "waitlist", "full", "not_open_yet", "closed", "cancelled", "completed"
]


class EventAvailability(BaseModel):
    event_id: uuid.UUID
    title: str
    summary: str
    description: str = ""
    kind: str
    slug: str = ""
    programme_id: uuid.UUID | None = None
    programme_name: str = ""
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: Venue | None = Field(description="`map_url` only when it is an http(s) address.")
    sessions: list[Session]
    people: list[Person] = Field(default_factory=list)
    capacity: int
    remaining: int
    waiting: int
    waitlist_enabled: bool
    status: str
    audience: Audience
    window: BookingWindow
    options: list[OptionAvailability] = Field(description="Every option, of every group.")
    option_groups: list[OptionGroupAvailability]
    booking_state: BookingState = Field(
        description="What a booking made now would get: a place, a waiting-list spot, or nothing."
    )
    privacy_notice_url: str = Field(
        default="",
        description="The programme's privacy notice, to show beside the optional fields.",
    )


class CalendarSession(BaseModel):
    title: str
    starts_at: datetime
    ends_at: datetime
    google_url: str
    outlook_url: str


class CalendarLinks(BaseModel):
    """ "Add to calendar": the booking's own `.ics` (same entries as the emailed invite), and a
    Google and an Outlook link per session."""

    ics_url: str
    sessions: list[CalendarSession]


class ManagedBooking(BaseModel):
    booking_id: uuid.UUID
    event_id: uuid.UUID
    event_title: str
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = "Europe/London"
    sessions: list[Session] = Field(default_factory=list)
    venue: Venue | None = None
    calendar: CalendarLinks | None = Field(
        default=None, description="Only while the booking is confirmed."
    )
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    option_id: uuid.UUID | None = Field(description="The first group's choice.")
    option_name: str | None
    choices: list[Choice]
    name: str
    email: str
    organisation: str
    role: str
    sector: Sector | None
    dietary_needs: str
    access_needs: str
    consent_to_contact: bool
    created_at: datetime
    updated_at: datetime


class BookingChange(BaseModel):
    """Only the fields sent change. `choices` sets the option of the groups it names (null:
    none, in an optional group) and keeps the others; `option_id` alone sets the choice in
    that option's group. A confirmed place moves only into an option with one free."""

    model_config = ConfigDict(extra="forbid")

    option_id: uuid.UUID | None = None
    choices: dict[uuid.UUID, uuid.UUID | None] | None = Field(default=None, max_length=20)
    organisation: PersonName | None = None
    role: Role | None = None
    sector: Sector | None = None
    dietary_needs: Needs | None = None
    access_needs: Needs | None = None
    consent_to_contact: bool | None = None
