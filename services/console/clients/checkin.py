"""Bookings' door check-in API: today's sessions, a session's register and counts, check in
and undo, walk-ins, and the person behind a check-in code."""

from __future__ import annotations

import uuid
from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class CheckinClient(ServiceClient):
    @staticmethod
    def _door(event_id: str, session_id: str) -> str:
        return f"/staff/checkin/events/{event_id}/sessions/{session_id}"

    async def today(self) -> Json:
        return await self.call("GET", "/staff/checkin/today")

    async def register(self, event_id: str, session_id: str, q: str = "", limit: int = 50) -> Json:
        params: dict[str, str | int] = {"limit": limit}
        if q:
            params["q"] = q
        return await self.call(
            "GET", self._door(event_id, session_id) + "/attendees", params=params
        )

    async def check_in(self, event_id: str, session_id: str, booking_id: str) -> Json:
        return await self.call("PUT", f"{self._door(event_id, session_id)}/checkins/{booking_id}")

    async def undo(self, event_id: str, session_id: str, booking_id: str) -> Json:
        path = f"{self._door(event_id, session_id)}/checkins/{booking_id}"
        return await self.call("DELETE", path)

    async def walk_in(self, event_id: str, session_id: str, body: Json) -> Json:
        # A fresh key per form post: a double-submitted form books once.
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        path = self._door(event_id, session_id) + "/walk-ins"
        return await self.call("POST", path, json=body, headers=headers)

    async def person(self, code: str) -> Json:
        return await self.call("GET", f"/staff/checkin/tokens/{code}")
