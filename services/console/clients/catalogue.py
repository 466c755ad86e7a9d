"""The catalogue's staff API: programmes, cohorts and rosters, venues, people, events."""

from __future__ import annotations

from typing import Any

from services.console.clients.base import ServiceClient

Json = Any


class CatalogueClient(ServiceClient):
    async def programmes(self) -> list[Json]:
        return await self.call("GET", "/staff/programmes")

    async def venues(self) -> list[Json]:
        return await self.call("GET", "/staff/venues")

    async def people(self) -> list[Json]:
        return await self.call("GET", "/staff/people")

    async def events(self, *, status: str | None = None) -> list[Json]:
        params = {"status": status} if status else {}
        return await self.call("GET", "/staff/events", params=params)

    async def event(self, event_id: str) -> Json:
        return await self.call("GET", f"/staff/events/{event_id}")

    async def create_event(self, body: Json) -> Json:
        return await self.call("POST", "/staff/events", json=body)

    async def update_event(self, event_id: str, body: Json) -> Json:
        return await self.call("PATCH", f"/staff/events/{event_id}", json=body)

    async def publish_event(self, event_id: str) -> Json:
        return await self.call("POST", f"/staff/events/{event_id}/publish")

    async def cancel_event(self, event_id: str, reason: str) -> Json:
        return await self.call("POST", f"/staff/events/{event_id}/cancel", json={"reason": reason})

    async def cohorts(self) -> list[Json]:
        return await self.call("GET", "/staff/cohorts")

    async def cohort(self, cohort_id: str) -> Json:
        return await self.call("GET", f"/staff/cohorts/{cohort_id}")

    async def create_cohort(self, body: Json) -> Json:
        return await self.call("POST", "/staff/cohorts", json=body)

    async def members(self, cohort_id: str) -> list[Json]:
        return await self.call("GET", f"/staff/cohorts/{cohort_id}/members")

    async def add_member(self, cohort_id: str, body: Json) -> Json:
        return await self.call("POST", f"/staff/cohorts/{cohort_id}/members", json=body)

    async def update_member(self, cohort_id: str, member_id: str, body: Json) -> Json:
        path = f"/staff/cohorts/{cohort_id}/members/{member_id}"
        return await self.call("PATCH", path, json=body)

    async def remove_member(self, cohort_id: str, member_id: str) -> None:
        await self.call("DELETE", f"/staff/cohorts/{cohort_id}/members/{member_id}")

    async def import_roster(self, cohort_id: str, data: bytes, *, dry_run: bool) -> Json:
        return await self.call(
            "POST",
            f"/staff/cohorts/{cohort_id}/roster",
            params={"dry_run": "true" if dry_run else "false"},
            content=data,
            headers={"Content-Type": "text/csv"},
        )
