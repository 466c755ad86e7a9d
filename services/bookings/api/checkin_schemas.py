"""What the door check-in routes give and take."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.bookings.api.schemas import AttendeeIn


class DoorSession(BaseModel):
    session_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


class DoorEvent(BaseModel):
    event_id: uuid.UUID
    title: str
    timezone: str
    venue: str | None
    sessions: list[DoorSession]


class TodayList(BaseModel):
    date: date
    events: list[DoorEvent]


class DoorAttendee(BaseModel):
    booking_id: uuid.UUID
    name: str
    organisation: str
    option_id: uuid.UUID | None
    option_name: str | None
    checked_in_at: datetime | None
    checked_in_by: str | None
    no_show: bool = False


class OptionTally(BaseModel):
    option_id: uuid.UUID | None
    name: str
    checked_in: int
    expected: int


class DoorCounts(BaseModel):
    event_id: uuid.UUID
    session_id: uuid.UUID
    checked_in: int
    expected: int
    options: list[OptionTally]


class DoorRegister(BaseModel):
    event: DoorEvent
    session: DoorSession
    counts: DoorCounts
    items: list[DoorAttendee]


class CheckinAnswer(BaseModel):
    result: Literal["checked_in", "already_checked_in", "undone", "was_not_checked_in"]
    attendee: DoorAttendee
    counts: DoorCounts


class WalkIn(AttendeeIn):
    """A person at the door with no booking: booked through the usual decision (capacity as
    always; window and audience do not apply at the door), then checked in."""

    model_config = ConfigDict(extra="forbid")


class WalkInAnswer(BaseModel):
    booking_id: uuid.UUID
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None
    checked_in: bool
    counts: DoorCounts


class TokenSession(BaseModel):
    session_id: uuid.UUID
    title: str
    starts_at: datetime
    checked_in_at: datetime | None


class TokenPerson(BaseModel):
    """The person a check-in code names, for door staff only."""

    booking_id: uuid.UUID
    event_id: uuid.UUID
    event_title: str
    status: Literal["confirmed", "waitlisted", "cancelled"]
    name: str
    organisation: str
    option_name: str | None
    sessions_today: list[TokenSession]
