"""Venues events take place at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.contracts import VenueState


@dataclass(frozen=True)
class Venue:
    id: uuid.UUID
    name: str
    address: str = ""
    accessibility: str = ""
    map_url: str | None = None

    def to_state(self) -> VenueState:
        return VenueState(
            venue_id=self.id,
            name=self.name,
            address=self.address,
            accessibility=self.accessibility,
            map_url=self.map_url,
        )
