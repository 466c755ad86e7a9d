"""What the staff API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.bookings.api.schemas import AttendeeIn, Choice
from shared.contracts.attendees import PlainName, Sector

Origin = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=200,
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$",
    ),
]


class StaffBookingCreate(AttendeeIn):
    """A booking staff add on someone's behalf: the window and the audience do not apply,
    capacity does."""

    model_config = ConfigDict(extra="forbid")


class StaffBooking(BaseModel):
    booking_id: uuid.UUID
    event_id: uuid.UUID
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    option_id: uuid.UUID | None
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
    partner_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    cancelled_by: str | None
    cancel_reason: str | None
    attendance: dict[uuid.UUID, Literal["attended", "no_show"]]


class BookingList(BaseModel):
    items: list[StaffBooking]
    limit: int
    offset: int


class StaffCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class StaffChange(BaseModel):
    """A booking's new option, chosen by staff for the person: `option_id` in its group, or
    `choices` (group id -> option id, null for none) for the groups named."""

    model_config = ConfigDict(extra="forbid")

    option_id: uuid.UUID | None = None
    choices: dict[uuid.UUID, uuid.UUID | None] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _something_to_change(self) -> StaffChange:
        if self.option_id is None and not self.choices:
            raise ValueError("name the new option_id, or choices for the groups to change")
        return self


class AttendanceMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: uuid.UUID | None = Field(
        default=None, description="Which session (day); optional for a one-session event."
    )
    status: Literal["attended", "no_show"]


class OptionCounts(BaseModel):
    option_id: uuid.UUID
    group_id: uuid.UUID
    group_name: str
    name: str
    capacity: int
    confirmed: int
    waiting: int
    cancelled: int
    remaining: int
    overage: int
    withdrawn: bool


class SessionCounts(BaseModel):
    session_id: uuid.UUID
    title: str
    attended: int
    no_show: int


class EventCounts(BaseModel):
    event_id: uuid.UUID
    capacity: int
    confirmed: int
    waiting: int
    cancelled: int
    attended: int = Field(description="Bookings marked attended for at least one session.")
    remaining: int
    overage: int = Field(description="Confirmed beyond capacity after it was reduced.")
    auto_promotion: bool = Field(description="False after the cut-off: promote by hand.")
    options: list[OptionCounts]
    sessions: list[SessionCounts]


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainName
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=50)


class PartnerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainName | None = None
    allowed_origins: list[Origin] | None = Field(default=None, max_length=50)
    active: bool | None = None
    rotate_key: bool = False


class PartnerOut(BaseModel):
    id: uuid.UUID
    name: str
    key: str
    allowed_origins: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime
