"""Bookings' staff API: an event's bookings and counts, acting on one booking, partners."""

from __future__ import annotations

import uuid
from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class BookingsClient(ServiceClient):
    async def counts(self, event_id: str) -> Json:
        return await self.call("GET", f"/staff/events/{event_id}/counts")

    async def bookings(self, event_id: str, **filters: str) -> Json:
        params = {k: v for k, v in filters.items() if v}
        return await self.call("GET", f"/staff/events/{event_id}/bookings", params=params)

    async def book(self, event_id: str, body: Json) -> Json:
        # A fresh key per form post: a double-submitted form books once.
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        path = f"/staff/events/{event_id}/bookings"
        return await self.call("POST", path, json=body, headers=headers)

    async def booking(self, booking_id: str) -> Json:
        return await self.call("GET", f"/staff/bookings/{booking_id}")

    async def cancel(self, booking_id: str, reason: str) -> Json:
        path = f"/staff/bookings/{booking_id}/cancel"
        return await self.call("POST", path, json={"reason": reason})

    async def change(self, booking_id: str, option_id: str) -> Json:
        path = f"/staff/bookings/{booking_id}/change"
        return await self.call("POST", path, json={"option_id": option_id})

    async def promote(self, booking_id: str) -> Json:
        return await self.call("POST", f"/staff/bookings/{booking_id}/promote")

    def export_path(self, event_id: str) -> str:
        return f"/staff/events/{event_id}/bookings.csv"

    async def partners(self) -> list[Json]:
        return await self.call("GET", "/staff/partners")

    async def partner(self, partner_id: str) -> Json:
        return await self.call("GET", f"/staff/partners/{partner_id}")

    async def create_partner(self, body: Json) -> Json:
        return await self.call("POST", "/staff/partners", json=body)

    async def update_partner(self, partner_id: str, body: Json) -> Json:
        return await self.call("PATCH", f"/staff/partners/{partner_id}", json=body)
