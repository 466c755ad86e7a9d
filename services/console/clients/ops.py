"""Every service's operations API (/ops): readiness, queue depths, parked messages and
replaying them, and (catalogue, bookings) republishing what the others replicate."""

from __future__ import annotations

from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class OpsClient(ServiceClient):
    async def readiness(self) -> Json:
        return await self.call("GET", "/ops/readiness")

    async def queues(self) -> list[Json]:
        return await self.call("GET", "/ops/queues")

    async def parked(self, *, limit: int = 100) -> list[Json]:
        return await self.call("GET", "/ops/parked", params={"limit": limit})

    async def replay(self, message_id: str, queue: str | None) -> Json:
        params = {"queue": queue} if queue else {}
        return await self.call("POST", f"/ops/parked/{message_id}/replay", params=params)

    async def replay_all(self) -> Json:
        return await self.call("POST", "/ops/parked/replay", json={"queue": None})

    async def resync(self) -> Json:
        return await self.call("POST", "/ops/resync")
