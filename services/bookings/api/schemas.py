"""What the bookings HTTP API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field


class BookingCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(max_length=254)
    organisation: str = Field(min_length=1, max_length=200)


class BookingAnswer(BaseModel):
    booking_id: uuid.UUID
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None
    manage_token: str


class EventAvailability(BaseModel):
    event_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int
    waitlist_enabled: bool
    status: str
