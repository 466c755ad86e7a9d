"""Payloads bookings publishes: every state change carries the whole booking."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Sector = Literal["public", "private", "voluntary", "community"]


class Attendee(BaseModel):
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
