"""Notifications' staff API: deliveries (what failed and why)."""

from __future__ import annotations

from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class NotificationsClient(ServiceClient):
    async def deliveries(self, *, state: str, limit: int = 50) -> list[Json]:
        params = {"state": state, "limit": limit}
        return await self.call("GET", "/staff/deliveries", params=params)
