"""The public programme page, an event's own page and the list widget in real Chromium, at
phone and desktop width: axe clean, by keyboard, hostile titles shown as text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from shared.contracts import VenueState
from tests.browser.conftest import Tab
from tests.browser.test_widget import fill, serious_violations, widget
from tests.browser.test_widget_details import HOSTILE, put_immersion
from tests.support.system import System

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def _programme(system: System) -> tuple[str, list[str]]:
    slug = f"leading-gm-{uuid.uuid4().hex[:8]}"
    programme = {
        "programme_id": uuid.uuid4(),
        "programme_slug": slug,
        "programme_name": "Leading GM " + HOSTILE,
    }
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=12)
    first = await put_immersion(
        system,
        slug=f"immersion-{slug}",
        venue=VenueState(name="Salford Innovation Forum"),
        **programme,
    )
    second = await put_immersion(
        system,
        slug=f"masterclass-{slug}",
        title="Masterclass",
        sessions=[],
        people=[],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        **programme,
    )
    return slug, [first.title, second.title]


@pytest.mark.parametrize("width", [375, 1280])
async def test_programme_page_and_event_page_are_readable_and_bookable_by_keyboard(
    system: System, tab: Tab, width: int
) -> None:
    await tab.page.set_viewport_size({"width": width, "height": 900})
    slug, titles = await _programme(system)
    bookings = system.url("bookings")
    await tab.page.goto(f"{bookings}/programmes/{slug}")
    page = tab.page
    await expect(page.locator("h1")).to_have_text("Leading GM " + HOSTILE)
    await expect(page.locator("article h2")).to_have_text(["Masterclass", titles[0]])
    await expect(page.locator("article").nth(1).locator("li")).to_have_count(2)  # both days
    assert await page.evaluate("window.pwned === undefined")
    assert await serious_violations(page) == []
    await tab.shot(f"programme-{width}")

    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Masterclass")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Masterclass")
    form = widget(page)
    await expect(form.locator("button")).to_have_text("Book a place")
    # The page shows the details; the widget only the places and the form.
    await expect(form.locator("dt")).to_have_text(["Places"])
    await fill(
        form,
        {
            "name": "Page Leader",
            "email": f"page.{uuid.uuid4().hex[:8]}@example.org",
            "organisation": "Tameside Council",
        },
    )
    await form.locator("#f-organisation").press("Enter")
    await expect(form.locator(".o")).to_have_attribute("data-status", "confirmed")
    assert await serious_violations(page) == []
    await tab.shot(f"programme-event-booked-{width}")
    assert tab.script_errors() == []


@pytest.mark.parametrize("width", [375, 1280])
async def test_the_list_widget_opens_each_events_form_in_place(
    system: System, tab: Tab, width: int
) -> None:
    await tab.page.set_viewport_size({"width": width, "height": 900})
    slug, titles = await _programme(system)
    bookings = system.url("bookings")
    # Any page of bookings' origin that loads the widget will do as the embedding page.
    await tab.page.goto(f"{bookings}/programmes/{slug}/events/masterclass-{slug}")
    await tab.page.evaluate(
        """slug => { const d = document.createElement('div');
                     d.setAttribute('data-gm-programme', slug); d.id = 'list';
                     document.querySelector('main').appendChild(d); }""",
        slug,
    )
    listing = tab.page.locator("#list gm-booking")
    await expect(listing.locator("h2")).to_have_text("Upcoming events: Leading GM " + HOSTILE)
    await expect(listing.locator("li.i h3")).to_have_text(["Masterclass", titles[0]])
    open_second = listing.locator("li.i").nth(1).locator("button[aria-controls]")
    await expect(open_second).to_have_accessible_name(re.compile(r"^Book a place\b"))
    await expect(open_second.locator(".vh")).to_have_text(": " + titles[0])
    assert await open_second.get_attribute("aria-expanded") == "false"
    await open_second.focus()
    await tab.page.keyboard.press("Enter")
    assert await open_second.get_attribute("aria-expanded") == "true"
    inner = listing.locator("li.i").nth(1).locator("form")
    await expect(inner).to_be_visible()
    await fill(
        inner,
        {
            "name": HOSTILE,
            "email": f"list.{uuid.uuid4().hex[:8]}@example.org",
            "organisation": "Oldham Council",
        },
    )
    await inner.locator("button").click()
    outcome = listing.locator("li.i").nth(1).locator(".o")
    await expect(outcome).to_have_attribute("data-status", "confirmed")
    assert await tab.page.evaluate("window.pwned === undefined")
    assert await serious_violations(tab.page) == []
    await tab.shot(f"list-widget-{width}")
    assert tab.script_errors() == []
