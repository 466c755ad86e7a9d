"""Notifications' staff API: campaigns (compose, audience, preview, launch, progress, chase,
announce), deliveries by person and resends, the suppression list."""

from __future__ import annotations

from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class NotificationsClient(ServiceClient):
    async def deliveries(self, **filters: Any) -> list[Json]:
        params = {k: v for k, v in filters.items() if v not in (None, "")}
        return await self.call("GET", "/staff/deliveries", params=params)

    async def resend(self, delivery_id: str, email: str | None = None) -> Json:
        body = {"email": email} if email else None
        return await self.call("POST", f"/staff/deliveries/{delivery_id}/resend", json=body)

    async def campaigns(self, **filters: Any) -> list[Json]:
        params = {k: v for k, v in filters.items() if v not in (None, "")}
        return await self.call("GET", "/staff/campaigns", params=params)

    async def campaign(self, campaign_id: str) -> Json:
        return await self.call("GET", f"/staff/campaigns/{campaign_id}")

    async def create_campaign(self, body: Json) -> Json:
        return await self.call("POST", "/staff/campaigns", json=body)

    async def update_campaign(self, campaign_id: str, body: Json) -> Json:
        return await self.call("PATCH", f"/staff/campaigns/{campaign_id}", json=body)

    async def audience(self, campaign_id: str) -> Json:
        return await self.call("GET", f"/staff/campaigns/{campaign_id}/audience")

    async def answers(self, campaign_id: str) -> list[Json]:
        return await self.call("GET", f"/staff/campaigns/{campaign_id}/answers")

    async def preview(self, campaign_id: str, email: str | None = None) -> Json:
        params = {"email": email} if email else {}
        return await self.call("GET", f"/staff/campaigns/{campaign_id}/preview", params=params)

    async def test(self, campaign_id: str, email: str) -> Json:
        path = f"/staff/campaigns/{campaign_id}/test"
        return await self.call("POST", path, json={"email": email})

    async def act(self, campaign_id: str, action: str) -> Json:
        """launch, pause, resume or cancel."""
        return await self.call("POST", f"/staff/campaigns/{campaign_id}/{action}")

    async def follow_up(self, campaign_id: str, body: Json) -> Json:
        return await self.call("POST", f"/staff/campaigns/{campaign_id}/follow-up", json=body)

    async def announce(self, body: Json) -> Json:
        return await self.call("POST", "/staff/announcements", json=body)

    async def suppressions(self, email: str | None = None) -> list[Json]:
        params = {"email": email} if email else {}
        return await self.call("GET", "/staff/suppressions", params=params)

    async def lift(self, email: str) -> Json:
        return await self.call("POST", "/staff/suppressions/lift", json={"email": email})
