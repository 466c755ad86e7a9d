"""Venues."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from services.catalogue.api.schemas.common import Input, Name, Patch, Summary, WebUrl
from services.catalogue.domain.venues import Venue


class VenueCreate(Input):
    name: Name
    address: Summary = ""
    accessibility: Summary = ""
    map_url: WebUrl | None = None


class VenueUpdate(Patch):
    nullable = frozenset({"map_url"})

    name: Name | None = None
    address: Summary | None = None
    accessibility: Summary | None = None
    map_url: WebUrl | None = None


class VenueOut(BaseModel):
    id: uuid.UUID
    name: str
    address: str
    accessibility: str
    map_url: str | None

    @classmethod
    def of(cls, venue: Venue) -> VenueOut:
        return cls.model_validate(venue, from_attributes=True)
