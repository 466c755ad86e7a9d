"""The staff console in real Chromium against the running services: sign in by keyboard,
create an event with two sessions and two options, publish it, book people in, promote from the
waiting list, export the CSV, import a roster with a bad row, and find the console's own actions
in the audit log; axe finds no serious issue on any page, and Tab reaches everything on each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page

from tests.browser.conftest import STAFF, Tab
from tests.browser.test_widget import serious_violations
from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, console_system  # noqa: F401
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]
LONDON = ZoneInfo("Europe/London")

# Every focusable thing on the page, and the set Tab reaches from the top. A radio group is one
# stop for Tab (arrow keys move inside it), so its radios share one key.
_FOCUSABLE = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')]
  .filter(e => !e.disabled && e.offsetParent !== null)
  .map((e, i) => { e.dataset.k = e.type === "radio" ? "radio:" + e.name : String(i);
                   return e.dataset.k; })"""


async def keyboard_reaches_everything(page: Page) -> list[str]:
    wanted = set(await page.evaluate(_FOCUSABLE))
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached: set[str] = set()
    # Date and time inputs take a Tab per part (day, month, year, hours, minutes).
    for _ in range(len(wanted) * 6 + 10):
        await page.keyboard.press("Tab")
        key = await page.evaluate(
            "() => document.activeElement && document.activeElement.dataset.k"
        )
        if key:
            reached.add(key)
        if reached >= wanted:
            break
    missed = sorted(wanted - reached)
    return await page.evaluate(
        "keys => keys.map(k => document.querySelector(`[data-k='${k}']`).outerHTML.slice(0, 90))",
        missed,
    )


async def check_page(page: Page, seen: dict[str, list[str]]) -> None:
    """axe and the keyboard walk, once per page."""
    path = page.url.split("?")[0]
    problems = await serious_violations(page)
    missed = await keyboard_reaches_everything(page)
    if missed:
        problems.append(f"Tab never reaches {missed}")
    seen[path] = problems


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


async def _arrange_programme(system: System) -> str:
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        made = await api.post(
            "/staff/programmes",
            json={"name": "Leading GM", "slug": f"leading-gm-{uuid.uuid4().hex[:6]}"},
        )
        assert made.status_code == 201, made.text
        venue = await api.post(
            "/staff/venues", json={"name": "Salford Innovation Forum", "address": "Frederick Road"}
        )
        assert venue.status_code == 201, venue.text
        return str(made.json()["name"])


async def test_a_reunion_set_up_end_to_end_in_the_browser(
    console_system: System,  # noqa: F811
    tab: Tab,
    tmp_path: Path,
) -> None:
    page = tab.page
    seen: dict[str, list[str]] = {}
    base = console_system.url("console")
    programme = await _arrange_programme(console_system)

    # Sign in with the keyboard alone.
    await page.goto(base + "/events")
    assert "/signin" in page.url
    await check_page(page, seen)
    await page.locator("#email").focus()
    await page.keyboard.type(ADMIN_EMAIL)
    await page.keyboard.press("Tab")
    await page.keyboard.type(ADMIN_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/events")
    await page.get_by_role("link", name="New event").click()
    await check_page(page, seen)

    # Two sessions and two options; it starts within a day, so promotion is by hand.
    starts = datetime.now(UTC) + timedelta(hours=10)
    await page.locator("#f-title").fill("Reunion and Reflection")
    await page.locator("#f-programme_id").select_option(label=programme)
    await page.get_by_label("Venue", exact=True).select_option(label="Salford Innovation Forum")
    await page.get_by_label("Session 1 title", exact=True).fill("Day one")
    await page.get_by_label("Session 1 starts", exact=True).fill(_local(starts))
    await page.get_by_label("Session 1 ends", exact=True).fill(_local(starts + timedelta(hours=6)))
    await page.get_by_label("Session 2 title", exact=True).fill("Day two")
    await page.get_by_label("Session 2 starts", exact=True).fill(_local(starts + timedelta(days=1)))
    await page.get_by_label("Session 2 ends", exact=True).fill(
        _local(starts + timedelta(days=1, hours=5))
    )
    await page.locator("#f-capacity").fill("2")
    await page.get_by_label("Option 1 name", exact=True).fill("Canal walk")
    await page.get_by_label("Option 1 places", exact=True).fill("1")
    await page.get_by_label("Option 2 name", exact=True).fill("Cookery")
    await page.get_by_label("Option 2 places", exact=True).fill("1")
    await page.get_by_role("button", name="Create draft").click()
    await page.get_by_text("The event was created as a draft.").wait_for()
    await check_page(page, seen)
    event_url = page.url.split("?")[0]
    event_id = event_url.rsplit("/", 1)[-1]

    await page.get_by_role("button", name="Publish").click()
    await page.get_by_text("The event is published").wait_for()

    async def replicated() -> bool:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{console_system.url('bookings')}/public/events/{event_id}")
            return r.status_code == 200

    await wait_for(replicated, timeout=30, message="event replicated to bookings")

    # Book two people into the one place of the canal walk: the second waits.
    await page.goto(event_url + "/attendees")
    for name, email in (("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@example.org")):
        await page.locator("#f-name").fill(name)
        await page.locator("#f-email").fill(email)
        await page.locator("#f-organisation").fill("Salford City Council")
        await page.get_by_label("Option", exact=True).select_option(label="Canal walk")
        await page.get_by_role("button", name="Book in").click()
        await page.get_by_text("The booking was made.").wait_for()
    await check_page(page, seen)
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    assert "waitlisted" in await row.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Cancel the booking of Ada Lovelace").click()
    await page.get_by_text("The booking was cancelled").wait_for()
    await page.get_by_role("button", name="Promote Grace Hopper").click()
    await page.get_by_text("promoted from the waiting list").wait_for()
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    assert "confirmed" in await row.inner_text()

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "attendees.csv"
    await (await download_info.value).save_as(saved)
    exported = saved.read_text(encoding="utf-8-sig")
    assert "grace@example.org" in exported and "ada@example.org" in exported

    # A cohort and its roster, with one bad row reported by its line before anything is written.
    await page.get_by_role("link", name="Cohorts").click()
    await check_page(page, seen)
    await page.locator("#f-programme_id").select_option(label=programme)
    await page.locator("#f-number").fill("3")
    await page.get_by_role("button", name="Create cohort").click()
    await page.get_by_text("The cohort was created.").wait_for()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,organisation,role\n"
        "Mary Seacole,mary@example.org,NHS Trust,Matron\n"
        "Nobody,not-an-email,Wigan,Chief\n"
        "Alan Turing,alan@example.org,Bolton Council,Director\n",
        encoding="utf-8",
    )
    await page.get_by_label(
        "Roster CSV (columns: name, email, organisation, role)"
    ).set_input_files(str(roster))
    await page.get_by_role("button", name="Check the file").click()
    await page.get_by_text("Check the roster").wait_for()
    await check_page(page, seen)
    report = page.get_by_role("table").filter(has_text="Line in the file")
    assert "3" in await report.get_by_role("cell").first.inner_text()
    await page.get_by_role("button", name="Confirm the import").click()
    await page.get_by_text("Roster imported").first.wait_for()
    await page.get_by_role("link", name="Back to the cohort").click()
    await check_page(page, seen)
    assert await page.get_by_role("row").filter(has_text="Alan Turing").count() == 1

    # The remaining pages: partners, staff, the audit log with the console's own actions.
    await page.get_by_role("link", name="Partners").click()
    await check_page(page, seen)
    await page.locator("#f-name").fill("Trafford Council")
    await page.get_by_label("Allowed origins, one per line", exact=True).fill(
        "https://www.trafford.gov.uk"
    )
    await page.get_by_role("button", name="Create partner").click()
    await page.get_by_text("its key is below").wait_for()
    await check_page(page, seen)
    snippet = await page.locator("#snippet").inner_text()
    assert "widget.js" in snippet and "data-gm-partner=" in snippet

    await page.get_by_role("link", name="Staff").click()
    await check_page(page, seen)
    await page.get_by_role("link", name="Demo Admin").click()
    await check_page(page, seen)
    await page.get_by_role("link", name="Events", exact=True).click()
    await check_page(page, seen)
    await page.get_by_role("link", name="Audit log").click()
    await check_page(page, seen)
    assert await page.get_by_role("row").filter(has_text="signed in").count() >= 1

    await page.get_by_role("link", name="Dashboard").click()
    await page.get_by_role("link", name="Reunion and Reflection").wait_for()
    await tab.shot("console-dashboard")
    await check_page(page, seen)

    failing = {path: problems for path, problems in seen.items() if problems}
    assert not failing, failing
    assert len(seen) >= 12
    assert not tab.script_errors()
