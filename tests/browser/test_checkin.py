"""Check-in at the door in real Chromium on a phone-sized screen (390 x 844): door staff sign in
by keyboard, pick today's session, search as they type, check in and undo; open the check-in
link from a confirmation email at the sink; go offline, check three people in, come back: all
three recorded once, and a second phone's page shows the right counts. axe finds no serious
issue and Tab reaches everything."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Tab
from tests.browser.test_console import keyboard_reaches_everything
from tests.browser.test_widget import serious_violations
from tests.console.checkin_support import PASSWORD, account, book, today_event
from tests.console.conftest import console_system  # noqa: F401
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
NAMES = [
    ("Ada Lovelace", "Bolton Council"),
    ("Grace Hopper", "Salford NHS"),
    ("Katherine Johnson", "Trafford Council"),
    ("Dorothy Vaughan", "Wigan Housing"),
    ("Mary Jackson", "Oldham Council"),
]


async def phone(browser: Browser) -> tuple[BrowserContext, Tab]:
    context = await browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    tab = Tab(page)
    page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
    return context, tab


async def sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/signin?next=%2Fcheckin")
    await page.locator("#email").focus()
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda url: url.endswith("/checkin"))


async def attended(system: System, event_id: uuid.UUID) -> list[tuple[str, int]]:
    """Attendance rows per booking in bookings' own table: exactly one each, or a bug."""
    from shared.db import make_engine

    engine = make_engine(system.infra.database_urls["bookings"], pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT b.name, count(*) FROM attendance a JOIN bookings b "
                        "ON b.id = a.booking_id WHERE b.event_id = :e AND a.status = 'attended' "
                        "GROUP BY b.name ORDER BY b.name"
                    ),
                    {"e": event_id},
                )
            ).all()
    finally:
        await engine.dispose()
    return [(r[0], int(r[1])) for r in rows]


async def test_door_phone_search_check_in_undo_scan_and_offline(
    browser: Browser,
    console_system: System,  # noqa: F811
) -> None:
    # A loaded machine answers slowly: generous deadlines for every expectation (a wait for a
    # condition, never a sleep).
    expect.set_options(timeout=20_000)
    system = console_system
    base = system.url("console")
    state = await today_event(system, published=True)
    scanned_email = f"scan.{uuid.uuid4().hex[:6]}@example.org"
    ids = {}
    for n, (name, org) in enumerate(NAMES):
        email = scanned_email if n == 4 else ""
        ids[name] = await book(system, state, name, org, n, email=email)
    email = await account(system, ["checkin"])
    door_url = f"{base}/checkin/{state.event_id}/{state.sessions[0].session_id}"

    context, tab = await phone(browser)
    second_context, second = await phone(browser)
    try:
        page = tab.page
        await sign_in(page, base, email)
        assert await serious_violations(page) == []
        await page.get_by_role("link", name=re.compile(state.title)).click()
        await page.wait_for_url(door_url)
        await expect(page.locator("#count-expected")).to_have_text("5")
        assert await serious_violations(page) == []
        assert await keyboard_reaches_everything(page) == []
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Search as you type: no submit, the list narrows.
        await page.locator("#q").press_sequentially("bolton", delay=40)
        people = page.locator("#people li.person")
        await expect(people).to_have_count(1)
        await expect(people.first).to_contain_text("Ada Lovelace")
        await page.get_by_role("button", name="Check in Ada Lovelace").click()
        await expect(page.locator("#count-in")).to_have_text("1")
        await expect(page.locator("#result")).to_contain_text("Checked in: Ada Lovelace")
        await page.get_by_role("button", name="Undo check-in of Ada Lovelace").click()
        await expect(page.locator("#result")).to_contain_text("Check-in undone: Ada Lovelace")
        await expect(page.locator("#count-in")).to_have_text("0")

        # Scan: the phone's camera opens the link in the confirmation email.
        [mail] = await wait_for(lambda: system.smtp.to(scanned_email), timeout=30)
        text = mail.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/checkin/t/[A-Za-z0-9_-]+", text)
        assert link, text
        assert any(p.get_content_type() == "image/png" for p in mail.walk())
        # The manage page shows the same code (served by bookings as SVG).
        manage = re.search(r"https?://\S+/manage/([A-Za-z0-9_-]+)", text)
        assert manage, text
        await page.goto(f"{system.url('bookings')}/manage/{manage.group(1)}")
        code_image = page.get_by_role("img", name="QR code to show at the door")
        await expect(code_image).to_be_visible()
        await page.wait_for_function(
            "() => document.querySelector('img.checkin-code').naturalWidth > 0"
        )
        assert await serious_violations(page) == []
        await page.goto(base + "/checkin/t/" + link.group(0).rsplit("/", 1)[1])
        await expect(page.get_by_role("heading", name="Mary Jackson")).to_be_visible()
        assert await serious_violations(page) == []
        await page.get_by_role("button", name="Check in").click()
        await expect(page.get_by_text("Checked in", exact=True)).to_be_visible()

        # Offline: three taps stay on the phone, then go once the network is back.
        await page.goto(door_url)
        await expect(page.locator("#count-in")).to_have_text("1")
        await expect(page.locator("#net")).to_contain_text("0 check-ins waiting")
        await context.set_offline(True)
        for name in ("Ada Lovelace", "Grace Hopper", "Katherine Johnson"):
            await page.get_by_role("button", name=f"Check in {name}").click()
        await expect(page.locator("#net")).to_contain_text("Offline")
        await expect(page.locator("#net")).to_contain_text("3 check-ins waiting to be sent")
        await expect(page.locator("#count-in")).to_have_text("4")
        assert await attended(system, state.event_id) == [("Mary Jackson", 1)]
        # Reloading offline is not possible, but the queue is in the phone's storage.
        stored = await page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('gm-checkin-queue'))"
            ".map(k => localStorage.getItem(k))"
        )
        assert len(stored) == 1 and stored[0].count('"act":"in"') == 3
        assert "Lovelace" not in stored[0] and "Hopper" not in stored[0]  # ids only

        await context.set_offline(False)
        await expect(page.locator("#net")).to_contain_text("0 check-ins waiting", timeout=30_000)
        await expect(page.locator("#count-in")).to_have_text("4")
        assert await attended(system, state.event_id) == [
            ("Ada Lovelace", 1), ("Grace Hopper", 1), ("Katherine Johnson", 1), ("Mary Jackson", 1),
        ]  # fmt: skip

        # A second phone at the same door: the counts are right, and it sees a new check-in
        # made on the first phone within seconds.
        await sign_in(second.page, base, email)
        await second.page.goto(door_url)
        await expect(second.page.locator("#count-in")).to_have_text("4")
        await page.get_by_role("button", name="Check in Dorothy Vaughan").click()
        await expect(second.page.locator("#count-in")).to_have_text("5", timeout=15_000)
        await expect(
            second.page.get_by_role("button", name="Undo check-in of Dorothy Vaughan")
        ).to_be_visible()
        # Per option (person n has option n % 2): Street Wisdom 3 of 3, The A Teams 2 of 2.
        rows = second.page.locator("#options tbody tr")
        await expect(rows.filter(has_text="Street Wisdom")).to_contain_text("33")
        await expect(rows.filter(has_text="The A Teams")).to_contain_text("22")
        assert tab.page_errors == [] and second.page_errors == []
    finally:
        await context.close()
        await second_context.close()
