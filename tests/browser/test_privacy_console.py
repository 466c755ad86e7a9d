"""The console's privacy page in real Chromium: by keyboard alone an administrator asks for an
export, a refused address is shown next to its field, the request page shows each service's
answer; axe finds no serious issue, Tab reaches everything, and nothing overflows at phone
width."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_console import check_page
from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, console_system  # noqa: F401
from tests.support.system import System

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def test_an_export_asked_for_by_keyboard_at_desktop_and_phone_width(
    console_system: System,  # noqa: F811
    tab: Tab,
) -> None:
    page = tab.page
    seen: dict[str, list[str]] = {}
    base = console_system.url("console")
    await page.goto(base + "/privacy")
    await page.locator("#email").focus()
    await page.keyboard.type(ADMIN_EMAIL)
    await page.keyboard.press("Tab")
    await page.keyboard.type(ADMIN_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/privacy")
    await check_page(page, seen)

    # An address the browser accepts and the service refuses: the reason is by the field.
    await page.locator("#f-email").focus()
    await page.keyboard.type("someone@localhost")
    await page.keyboard.press("Enter")
    error = page.locator("#f-email-error")
    await error.wait_for()
    assert await page.locator("#f-email").get_attribute("aria-invalid") == "true"
    await check_page(page, seen)

    await page.locator("#f-email").fill(f"leader-{uuid.uuid4().hex[:6]}@example.org")
    await page.locator("#f-kind").focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/privacy/requests/**")
    await page.get_by_text("Catalogue:").wait_for()
    await check_page(page, seen)

    await page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/privacy", page.url.replace(base, "")):
        await page.goto(base + path)
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at 375 px by {overflow}px"
        await check_page(page, seen)
    assert all(not problems for problems in seen.values()), seen
    assert not tab.script_errors(), tab.script_errors()
