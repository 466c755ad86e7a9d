"""What the catalogue's HTTP API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from services.catalogue.domain.events import Event


class EventCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=0, le=100_000)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)
    kind: str = Field(default="event", min_length=1, max_length=40)
    summary: str = Field(default="", max_length=2000)
    timezone: str = Field(default="Europe/London", max_length=64)
    waitlist_enabled: bool = True

    @model_validator(mode="after")
    def _ends_after_starts(self) -> EventCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class EventPublic(BaseModel):
    id: uuid.UUID
    slug: str
    kind: str
    title: str
    summary: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    waitlist_enabled: bool
    status: str
    version: int

    @classmethod
    def of(cls, event: Event) -> EventPublic:
        return cls.model_validate(event, from_attributes=True)
