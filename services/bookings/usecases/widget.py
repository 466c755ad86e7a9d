"""What the widget's edge asks of the database, each answer cached for a few seconds per
process: the event a slug names, and the origins active partners have registered."""

from __future__ import annotations

import uuid
from typing import Literal

from services.bookings.domain.origins import normalise_origin
from services.bookings.persistence import widget_lookups
from services.bookings.process import TtlCache
from shared.db import Database
from shared.errors import NotFound


class WidgetLookups:
    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        # False: no event has this slug.
        self._slugs: TtlCache[str, uuid.UUID | Literal[False]] = TtlCache(ttl)
        self._origins: TtlCache[str, frozenset[str]] = TtlCache(ttl, max_entries=1)

    async def event_id(self, slug: str) -> uuid.UUID:
        """The event a slug names; unknown slugs are remembered too, so a flood of them costs
        one query each per TTL at most."""
        cached = self._slugs.get(slug)
        if cached is None:
            async with self._db.unit_of_work() as uow:
                found = await widget_lookups.event_id_by_slug(uow, slug)
            cached = found or False
            self._slugs.put(slug, cached)
        if cached is False:
            raise NotFound("no such event", code="event_not_found")
        return cached

    async def origin_registered(self, origin: str) -> bool:
        known = self._origins.get("all")
        if known is None:
            async with self._db.unit_of_work() as uow:
                listed = await widget_lookups.active_origins(uow)
            known = frozenset(filter(None, map(normalise_origin, listed)))
            self._origins.put("all", known)
        return normalise_origin(origin) in known
