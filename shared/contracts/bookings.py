"""Payloads bookings publishes: every state change carries the whole booking."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.attendees import Sector


class Attendee(BaseModel):
    """The fields of `attendees.ATTENDEE_FIELDS` as plain values (validated where they entered)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: str
    organisation: str = ""
    role: str = ""
    sector: Sector | None = None
    dietary_needs: str = ""
    access_needs: str = ""
    consent_to_contact: bool = False


class BookingChoice(BaseModel):
    """Added after v1: the option a booking holds in one option group."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    group_id: uuid.UUID
    group_name: str = ""
    option_id: uuid.UUID
    option_name: str = ""


class BookingState(BaseModel):
    """`bookings.booking.confirmed`, `.waitlisted` and `.promoted`.

    `version` grows by one with every change to the booking. `event_version` is the version
    of the catalogue event the booking was decided against.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    booking_id: uuid.UUID
    version: int = Field(ge=1)
    event_id: uuid.UUID
    event_version: int | None = None
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None = None
    # The choice of the first group that has one, as v1 carried it; `choices` has them all.
    option_id: uuid.UUID | None = None
    option_name: str | None = None
    attendee: Attendee
    manage_url: str
    # The door's check-in link (console address + the booking's check-in token), for the QR
    # code in the confirmation: a secret like manage_url, so never logged. None in messages
    # published before check-in existed.
    checkin_url: str | None = None
    partner_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    # Added after v1 (optional): one entry per option group the booking holds a choice in.
    choices: list[BookingChoice] = Field(default_factory=list)


class BookingChanged(BookingState):
    """`bookings.booking.changed`: the booking after the change, and the option it left."""

    previous_option_id: uuid.UUID | None = None
    previous_option_name: str | None = None
    # Added after v1 (optional): every choice before the change.
    previous_choices: list[BookingChoice] = Field(default_factory=list)


class BookingCancelled(BookingState):
    """`bookings.booking.cancelled`: who cancelled (the person, staff, or the event's
    cancellation) and why."""

    status: Literal["cancelled"] = "cancelled"
    cancelled_by: Literal["attendee", "staff", "event"] = "attendee"
    reason: str = ""
    was_status: Literal["confirmed", "waitlisted"] | None = None


class AttendanceMarked(BaseModel):
    """`bookings.attendance.marked` and `.unmarked`: a booking's attendance for one session
    (day) of its event. `status` is what was recorded (None once unmarked); `occurred_at`
    orders the marks of one booking and session, so a consumer ignores an older one."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    booking_id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    status: Literal["attended", "no_show"] | None
    previous_status: Literal["attended", "no_show"] | None = None
    marked_by: str
    occurred_at: AwareDatetime
