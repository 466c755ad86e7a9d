"""The staff console in real Chromium, page by page: staff actions taken in the console reach
its audit log from the services' `*.staff_action.recorded` messages and can be found by person
and by thing; the resources and change-option forms work by keyboard and show the service's
reason next to the field; every page fits a 375 px wide phone without sideways scrolling of
the page, and passes axe and the keyboard walk; no API pages are served."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize

from tests.browser.conftest import STAFF, Tab, open_tab
from tests.browser.test_console import keyboard_reaches_everything
from tests.browser.test_widget import serious_violations
from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, console_system  # noqa: F401
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]
LONDON = ZoneInfo("Europe/London")
PHONE: ViewportSize = {"width": 375, "height": 740}
DESKTOP: ViewportSize = {"width": 900, "height": 900}

# What sticks out of the page sideways at this width: elements whose right edge passes the
# viewport, unless a scrolling container of their own (a table's wrapper) holds them.
_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = e => { for (let p = e.parentElement; p && p !== document.body;
      p = p.parentElement) { const s = getComputedStyle(p).overflowX;
      if (s === "auto" || s === "scroll") return true; } return false; };
  const out = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !inScroller(e))
    .map(e => e.outerHTML.slice(0, 100));
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


async def _sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/signin")
    await page.locator("#email").fill(ADMIN_EMAIL)
    await page.locator("#password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(re.escape(base) + r"/(\?.*)?$"))


async def _new_event(page: Page, base: str, title: str) -> str:
    """A draft made through the console's form: two options of one place each, starting within
    a day (so promotion from the waiting list is by hand). Its address."""
    await page.goto(base + "/events/new")
    starts = datetime.now(UTC) + timedelta(hours=10)
    await page.locator("#f-title").fill(title)
    await page.get_by_label("Session 1 starts", exact=True).fill(_local(starts))
    await page.get_by_label("Session 1 ends", exact=True).fill(_local(starts + timedelta(hours=4)))
    await page.locator("#f-capacity").fill("2")
    await page.locator("#f-waitlist_enabled").check()
    await page.get_by_label("Option 1 name", exact=True).fill("Canal walk")
    await page.get_by_label("Option 1 places", exact=True).fill("1")
    await page.get_by_label("Option 2 name", exact=True).fill("Cookery")
    await page.get_by_label("Option 2 places", exact=True).fill("1")
    await page.get_by_role("button", name="Create draft").click()
    await page.get_by_text("The event was created as a draft.").wait_for()
    return page.url.split("?")[0]


async def _publish(page: Page, system: System, event_url: str) -> str:
    await page.goto(event_url)
    await page.get_by_role("button", name="Publish").click()
    await page.get_by_text("The event is published").wait_for()
    event_id = event_url.rsplit("/", 1)[-1]

    async def replicated() -> bool:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
            return r.status_code == 200

    await wait_for(replicated, timeout=30, message="event replicated to bookings")
    return event_id


async def _book(page: Page, name: str, email: str, option: str) -> None:
    await page.locator("#f-name").fill(name)
    await page.locator("#f-email").fill(email)
    await page.locator("#f-organisation").fill("Salford City Council")
    await page.get_by_label("Option", exact=True).select_option(label=option)
    await page.get_by_role("button", name="Book in").click()
    await page.get_by_text("The booking was made.").wait_for()


async def _api_cohort(system: System) -> tuple[str, str]:
    """A programme and a cohort made with a script's token (actor `local-staff`, not the
    console's admin): (programme name, cohort id)."""
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        made = await api.post(
            "/staff/programmes",
            json={"name": "Leading GM", "slug": f"leading-gm-{uuid.uuid4().hex[:6]}"},
        )
        assert made.status_code == 201, made.text
        cohort = await api.post(
            "/staff/cohorts", json={"programme_id": made.json()["id"], "number": 7}
        )
        assert cohort.status_code == 201, cohort.text
        return str(made.json()["name"]), str(cohort.json()["id"])


async def _upload_roster(page: Page, base: str, cohort_id: str, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,organisation,role\nMary Seacole,mary@example.org,NHS Trust,Matron\n",
        encoding="utf-8",
    )
    await page.goto(f"{base}/cohorts/{cohort_id}")
    await page.locator("#f-roster").set_input_files(str(roster))
    await page.get_by_role("button", name="Check the file").click()
    await page.get_by_role("button", name="Confirm the import").click()
    await page.get_by_text("Roster imported").first.wait_for()


async def _audit_rows(page: Page) -> list[str]:
    return [" ".join((await r.inner_text()).split()) for r in await page.locator("tbody tr").all()]


async def test_staff_actions_in_the_console_reach_the_audit_log_by_person_and_thing(
    console_system: System,  # noqa: F811
    tab: Tab,
    tmp_path: Path,
) -> None:
    page = tab.page
    base = console_system.url("console")
    _, cohort_id = await _api_cohort(console_system)
    await _sign_in(page, base)

    event_url = await _new_event(page, base, "Audit Reunion")
    event_id = await _publish(page, console_system, event_url)
    await page.goto(event_url + "/attendees")
    await _book(page, "Ada Lovelace", "ada@example.org", "Canal walk")
    await _book(page, "Grace Hopper", "grace@example.org", "Canal walk")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Cancel the booking of Ada Lovelace").click()
    await page.get_by_text("The booking was cancelled").wait_for()
    await page.get_by_role("button", name="Promote Grace Hopper").click()
    await page.get_by_text("promoted from the waiting list").wait_for()
    await _upload_roster(page, base, cohort_id, tmp_path)

    # The services publish each record through their outboxes; the console consumes them.
    wanted = {
        "booking": {"booking.created", "booking.cancelled", "booking.promoted"},
        "event": {"event.created", "event.published"},
        "cohort": {"cohort.roster_imported"},
    }

    seen: list[str] = []

    async def recorded() -> list[str]:
        await page.goto(f"{base}/audit")
        seen[:] = await _audit_rows(page)
        actions = {a for row in seen for a in re.findall(r"\(([a-z_]+\.[a-z_]+)\)", row)}
        return [] if set().union(*wanted.values()) - actions else seen

    try:
        everything: list[str] = await wait_for(
            recorded, timeout=60, interval=0.5, message="the services' records in the audit log"
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the log shows {seen}") from None
    assert any("created cohort" in row for row in everything)  # the script's, by local-staff

    # By person: the admin's own actions, none of the script's.
    await page.get_by_label("Person").select_option(label="Demo Admin")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url(re.compile(r"actor="))
    mine = await _audit_rows(page)
    assert mine and all("Demo Admin" in row for row in mine), mine
    assert not any("created cohort" in row for row in mine)

    # By thing, with the person still chosen.
    for thing, actions in wanted.items():
        await page.get_by_label("Thing").select_option(thing)
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url(re.compile(rf"target_type={thing}"))
        rows = await _audit_rows(page)
        shown = {a for row in rows for a in re.findall(r"\(([a-z_]+\.[a-z_]+)\)", row)}
        assert actions <= shown, (thing, rows)
        assert all(a.startswith(f"{thing}.") for a in shown), (thing, shown)

    # The event's "History" link opens the log on that one event.
    await page.goto(event_url)
    await page.get_by_role("link", name="History").click()
    rows = await _audit_rows(page)
    assert rows and any("published" in row for row in rows), rows
    assert not any("roster" in row for row in rows), rows
    assert event_id in page.url
    assert not tab.script_errors()


async def test_resources_and_the_change_option_form_work_by_keyboard(
    console_system: System,  # noqa: F811
    tab: Tab,
) -> None:
    page = tab.page
    base = console_system.url("console")
    await _sign_in(page, base)
    event_url = await _new_event(page, base, "Slides and Dinner")

    # Slides and photos: a link that is not a web address is refused next to its field.
    await page.goto(event_url + "/edit")
    await page.get_by_label("Resource 1 title", exact=True).fill("Slides <b>day one</b>")
    await page.get_by_label("Resource 1 link", exact=True).fill("https://example.org/slides.pdf")
    await page.get_by_label("Resource 1 kind", exact=True).select_option("slides")
    await page.get_by_label("Resource 2 title", exact=True).fill("Photos")
    await page.get_by_label("Resource 2 link", exact=True).fill("javascript:alert(1)")
    await page.get_by_label("Resource 2 kind", exact=True).select_option("photos")
    await page.get_by_role("button", name="Save changes").click()
    error = page.locator("#f-resources-1-url-error")
    await error.wait_for()
    assert await error.inner_text()
    link = page.get_by_label("Resource 2 link", exact=True)
    assert await link.get_attribute("aria-invalid") == "true"
    assert await link.get_attribute("aria-describedby") == "f-resources-1-url-error"
    assert await page.locator("#f-resources-0-url-error").count() == 0
    assert await serious_violations(page) == []

    # Fixed by keyboard alone: focus the link, replace it, submit with Enter.
    await link.focus()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("https://photos.example.org/album/1")
    await page.keyboard.press("Enter")
    await page.get_by_text("The event was saved.").wait_for()
    slides = page.get_by_role("link", name="Slides <b>day one</b>")
    assert await slides.get_attribute("href") == "https://example.org/slides.pdf"
    photos = page.get_by_role("link", name="Photos")
    assert await photos.get_attribute("href") == "https://photos.example.org/album/1"
    assert await page.locator("main b").count() == 0  # the title stayed text

    # Change a booking's option: refused while the other option is full, then moved.
    await _publish(page, console_system, event_url)
    await page.goto(event_url + "/attendees")
    # Book someone in with the keyboard alone: type, Tab from field to field, Enter.
    await page.locator("#f-name").focus()
    for typed in ("Ada Lovelace", "ada@example.org", "Salford City Council", "Director"):
        await page.keyboard.type(typed)
        await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the option select: from "choose one" to the first
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.get_by_text("The booking was made.").wait_for()
    await _book(page, "Grace Hopper", "grace@example.org", "Cookery")
    row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    assert "Canal walk" in await row.inner_text() and "confirmed" in await row.inner_text()
    choice = page.get_by_label("Option for Ada Lovelace")
    await choice.select_option(label="Cookery")
    await page.get_by_role("button", name="Change the option of Ada Lovelace").click()
    await page.get_by_text("Cookery is full").wait_for()
    assert await serious_violations(page) == []

    page.once("dialog", lambda dialog: dialog.accept())
    await page.goto(event_url + "/attendees")
    await page.get_by_role("button", name="Cancel the booking of Grace Hopper").click()
    await page.get_by_text("The booking was cancelled").wait_for()
    # The keyboard: focus the select, pick with the arrow keys, Tab to the button, Enter.
    choice = page.get_by_label("Option for Ada Lovelace")
    await choice.focus()
    await page.keyboard.press("ArrowDown")
    assert await choice.evaluate("s => s.selectedOptions[0].textContent") == "Cookery"
    await page.keyboard.press("Tab")
    focused = await page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Change the option of Ada Lovelace"
    await page.keyboard.press("Enter")
    await page.get_by_text("The booking moved to the new option").wait_for()
    row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    assert "Cookery" in await row.inner_text() and "confirmed" in await row.inner_text()
    assert not tab.script_errors()


async def _every_page(page: Page, system: System, tmp_path: Path) -> dict[str, str]:
    """One of each console page, with the things they show made through the console."""
    base = system.url("console")
    _, cohort_id = await _api_cohort(system)
    event_url = await _new_event(page, base, "Phone Reunion with a rather long title to wrap")
    await _publish(page, system, event_url)
    await page.goto(event_url + "/attendees")
    await _book(page, "Ada Lovelace-Byron", "ada.lovelace-byron@example.org", "Canal walk")
    await _book(page, "Grace Hopper", "grace@example.org", "Canal walk")
    await _upload_roster(page, base, cohort_id, tmp_path)
    await page.goto(f"{base}/cohorts/{cohort_id}")
    member = await page.get_by_role("link", name="Edit Mary Seacole").get_attribute("href")
    await page.goto(base + "/partners")
    await page.locator("#f-name").fill("Trafford Council")
    await page.get_by_label("Allowed origins, one per line", exact=True).fill(
        "https://www.trafford.gov.uk"
    )
    await page.get_by_role("button", name="Create partner").click()
    await page.get_by_text("its key is below").wait_for()
    partner = page.url.split("?")[0]
    await page.goto(base + "/staff")
    account = await page.get_by_role("link", name="Demo Admin").get_attribute("href")
    return {
        "dashboard": base + "/",
        "events": base + "/events",
        "new event": base + "/events/new",
        "event": event_url,
        "edit event": event_url + "/edit",
        "attendees": event_url + "/attendees",
        "cohorts": base + "/cohorts",
        "cohort": f"{base}/cohorts/{cohort_id}",
        "member": base + str(member),
        "partners": base + "/partners",
        "partner": partner,
        "staff": base + "/staff",
        "account": base + str(account),
        "audit": base + "/audit",
        "operations": base + "/operations",
        "not found": base + "/no-such-page",
    }


async def _roster_report(page: Page, base: str, cohort_url: str, tmp_path: Path) -> None:
    """The roster check page (a POST's answer), with a bad row."""
    roster = tmp_path / "check.csv"
    roster.write_text(
        "name,email,organisation,role\nNobody,not-an-email,Wigan,Chief\n", encoding="utf-8"
    )
    await page.goto(cohort_url)
    await page.locator("#f-roster").set_input_files(str(roster))
    await page.get_by_role("button", name="Check the file").click()
    await page.get_by_text("Check the roster").wait_for()


async def test_every_page_fits_a_phone_and_passes_axe_and_the_keyboard(
    console_system: System,  # noqa: F811
    browser: Browser,
    tab: Tab,
    tmp_path: Path,
) -> None:
    page = tab.page
    base = console_system.url("console")
    await _sign_in(page, base)
    pages = await _every_page(page, console_system, tmp_path)
    problems: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        found: list[str] = []
        await page.set_viewport_size(PHONE)
        fit = await page.evaluate(_OVERFLOW)
        if fit["scroll"] > fit["width"] or fit["out"]:
            found.append(f"scrolls sideways at 375 px ({fit['scroll']} px wide): {fit['out']}")
        found += [f"phone: {v}" for v in await serious_violations(page)]
        await page.set_viewport_size(DESKTOP)
        found += await serious_violations(page)
        missed = await keyboard_reaches_everything(page)
        if missed:
            found.append(f"Tab never reaches {missed}")
        problems[name] = found

    for name, url in pages.items():
        await page.goto(url)
        await check(name)
    await _roster_report(page, base, pages["cohort"], tmp_path)
    await check("roster report")
    # A form sent back with its problems (the box on top, the messages by the fields).
    await page.goto(pages["new event"])
    await page.locator("#f-title").fill("No sessions")
    await page.locator("#f-capacity").fill("5")
    await page.get_by_role("button", name="Create draft").click()
    await page.locator("#problems").wait_for()
    await check("form with problems")

    # And the sign-in page, to someone with no session.
    context, stranger = await open_tab(browser)
    try:
        await stranger.page.goto(base + "/signin")
        page = stranger.page
        await check("sign in")
    finally:
        await context.close()

    failing = {name: found for name, found in problems.items() if found}
    assert not failing, failing
    assert len(problems) == len(pages) + 3
    assert not tab.script_errors()


async def test_no_api_pages_are_served(console_system: System) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            answer = await client.get(path)
            assert answer.status_code == 404, (path, answer.status_code)
            assert "text/html" in answer.headers["content-type"]
