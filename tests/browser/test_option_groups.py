"""An event of two option groups (a required dinner activity, an optional workshop slot) in
real headless Chromium: the widget at phone and desktop width, by keyboard, axe clean, and
the manage page changing one group while the other keeps its place."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PartnerSite, Tab, publish_event
from tests.browser.test_widget import fill, serious_violations, someone, widget
from tests.support.system import System

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

GROUPS = [
    {
        "name": "Dinner activity",
        "options": [{"name": "Canal walk", "capacity": 1}, {"name": "Comedy", "capacity": 5}],
    },
    {
        "name": "Workshop slot",
        "required": False,
        "options": [{"name": "Morning", "capacity": 1}, {"name": "Afternoon", "capacity": 5}],
    },
]


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = await page.evaluate("window.innerWidth")
    assert width <= viewport, (width, viewport)


@pytest.mark.parametrize("width", [375, 1280])
async def test_two_groups_one_optional_by_keyboard_then_the_manage_page_changes_one(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab, width: int
) -> None:
    await tab.page.set_viewport_size({"width": width, "height": 900})
    event_id, _ = await publish_event(
        system, capacity=10, title="Dinner with a Difference", option_groups=GROUPS
    )
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    form = widget(tab.page)
    dinner = form.get_by_role("group", name="Dinner activity")
    workshop = form.get_by_role("group", name="Workshop slot (optional)")
    await expect(dinner.get_by_role("radio")).to_have_count(2)
    # The optional group starts at "None", which takes no place.
    await expect(workshop.get_by_role("radio", name="None")).to_be_checked()
    await expect(workshop.get_by_role("radio")).to_have_count(3)
    await no_sideways_scroll(tab.page)
    assert await serious_violations(tab.page) == []

    who = someone(width)
    await fill(form, who)
    # Sent by keyboard without a dinner choice: the refusal sits by the dinner group, and
    # focus goes there.
    await form.locator("button").focus()
    await tab.page.keyboard.press("Enter")
    error = form.locator("#e-option_id")
    await expect(error).to_have_text("Please choose one of the options for Dinner activity.")
    await expect(form.locator("#f-option_id")).to_be_focused()
    assert await serious_violations(tab.page) == []
    # Space picks the walk; Tab goes to the workshop's checked radio, an arrow to Morning.
    await tab.page.keyboard.press("Space")
    await expect(dinner.get_by_role("radio", name="Canal walk (1 left)")).to_be_checked()
    await tab.page.keyboard.press("Tab")
    await expect(workshop.get_by_role("radio", name="None")).to_be_focused()
    await tab.page.keyboard.press("ArrowDown")
    await expect(workshop.get_by_role("radio", name="Morning (1 left)")).to_be_checked()
    await tab.shot(f"groups-form-{width}")
    await form.locator("button").focus()
    await tab.page.keyboard.press("Enter")

    outcome = form.locator(".o")
    await expect(outcome).to_have_attribute("data-status", "confirmed")
    await expect(outcome).to_be_focused()
    await no_sideways_scroll(tab.page)
    assert await serious_violations(tab.page) == []
    manage_url = str(
        await outcome.get_by_role("link", name="Change or cancel your booking").get_attribute(
            "href"
        )
    )

    # The manage page lists each group's choice and changes the workshop only.
    page = tab.page
    await page.goto(system.url("bookings") + "/manage/" + manage_url.rsplit("/manage/", 1)[1])
    card = page.locator(".card").first
    await expect(card.locator("dt", has_text="Dinner activity")).to_be_visible()
    await expect(card.locator("dd", has_text="Canal walk")).to_be_visible()
    await expect(card.locator("dd", has_text="Morning")).to_be_visible()
    await no_sideways_scroll(page)
    assert await serious_violations(page) == []
    await tab.shot(f"groups-manage-{width}")

    slot = page.get_by_role("group", name="Workshop slot (optional)")
    await slot.get_by_role("radio", name="Morning").focus()
    await page.keyboard.press("ArrowDown")  # to Afternoon
    await expect(slot.get_by_role("radio", name="Afternoon (5 places left)")).to_be_checked()
    await page.get_by_role("button", name="Change option").focus()
    await page.keyboard.press("Enter")
    status = page.locator("#status")
    await expect(status).to_have_text("Done: your option is now Canal walk, Afternoon.")
    await expect(status).to_be_focused()
    await expect(card.locator("dd", has_text="Afternoon")).to_be_visible()
    await expect(card.locator("dd", has_text="Canal walk")).to_be_visible()
    # The morning place came back; the walk was kept.
    answer = await page.request.get(f"{system.url('bookings')}/public/events/{event_id}")
    facts = await answer.json()
    left = {o["name"]: o["remaining"] for o in facts["options"]}
    assert (left["Canal walk"], left["Morning"], left["Afternoon"]) == (0, 1, 4)
    # The browser logs the deliberate refusal (the 422) and nothing else.
    assert all("422" in e for e in tab.console_errors) and len(tab.console_errors) == 1
    assert tab.page_errors == []


async def test_widget_text_for_groups_is_overridable(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(
        system, capacity=10, title="Dinner with a Difference", option_groups=GROUPS
    )
    await tab.page.add_init_script(
        "window.GMBookingText = { noOption: 'Not for me', optional: '(if you like)' }"
    )
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    workshop = widget(tab.page).get_by_role("group", name="Workshop slot (if you like)")
    await expect(workshop.get_by_role("radio", name="Not for me")).to_be_checked()
