"""The programme's privacy notice beside the optional fields, in Chromium: the hosted booking
page (the widget) links it, booking there records the consent with the notice's version."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import STAFF, Tab
from tests.browser.test_widget import fill, serious_violations, widget
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]
NOTICE = "https://leadinggm.example.org/privacy?from=widget&v=1"


async def test_the_notice_is_linked_beside_the_optional_fields(system: System, tab: Tab) -> None:
    catalogue, bookings = system.url("catalogue"), system.url("bookings")
    async with httpx.AsyncClient(timeout=15, headers=STAFF) as api:
        programme = await api.post(
            f"{catalogue}/staff/programmes",
            json={
                "name": f"Noticed {uuid.uuid4().hex[:6]}",
                "privacy_notice_url": NOTICE,
                "privacy_notice_version": "2026-09",
            },
        )
        assert programme.status_code == 201, programme.text
        event = await api.post(
            f"{catalogue}/staff/events",
            json={
                "title": "Adaptive Leadership masterclass",
                "programme_id": programme.json()["id"],
                "starts_at": "2031-03-04T09:30:00+00:00",
                "ends_at": "2031-03-04T12:30:00+00:00",
                "capacity": 5,
            },
        )
        event_id = event.json()["id"]
        assert (await api.post(f"{catalogue}/staff/events/{event_id}/publish")).status_code == 200

        async def replicated() -> bool:
            answer = await api.get(f"{bookings}/public/events/{event_id}")
            return answer.status_code == 200

        await wait_for(replicated, timeout=30, message="event replicated to bookings")

    await tab.page.goto(f"{bookings}/book/{event_id}")
    form = widget(tab.page)
    notice = form.locator("#privacy-notice a")
    await expect(notice).to_have_attribute("href", NOTICE)
    # Beside the optional fields: after the access needs, before the consent.
    order = await form.locator("#privacy-notice").evaluate(
        """p => [p.previousElementSibling.querySelector('textarea')?.name,
                 p.nextElementSibling.querySelector('input')?.name]"""
    )
    assert order == ["access_needs", "consent_to_contact"]
    assert await serious_violations(tab.page) == []
    email = f"noticed-{uuid.uuid4().hex[:6]}@example.org"
    await fill(form, {"name": "Noticed Leader", "email": email, "organisation": "Bury Council"})
    await form.locator("#f-consent_to_contact").check()
    await form.locator("button").click()
    await expect(form.locator(".o")).to_have_attribute("data-status", "confirmed")
    assert tab.console_errors == [] and tab.page_errors == []
    url = system.infra.database_urls["bookings"].replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT consent_to_contact, consent_recorded_at, privacy_notice_version "
            "FROM bookings WHERE email = $1",
            email,
        )
    finally:
        await connection.close()
    assert row["consent_to_contact"] and row["consent_recorded_at"] is not None
    assert row["privacy_notice_version"] == "2026-09"
