"""Campaigns in the console, in real Chromium against the running services: compose an
invitation to two cohorts where one member opted out and one is already booked; the count says
who is left out and why; preview; a test send reaches the sink; launch (the confirmation names
the count); progress reaches completed on the page without a reload; one invitee books from
the link and "booked" counts it; "remind those who have not booked" reaches exactly the rest.
axe and the keyboard walk on each campaign page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.notifications.domain.unsubscribe import sign_unsubscribe
from services.notifications.settings import DEV_UNSUBSCRIBE_KEY
from tests.browser.conftest import STAFF, Tab
from tests.browser.test_console import check_page
from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, console_system  # noqa: F401
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def _arrange(system: System, tag: str) -> tuple[dict[str, object], list[list[str]]]:
    """A published open event and two cohorts of three, replicated to notifications."""
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        programme = (await api.post("/staff/programmes", json={"name": f"Campaigns {tag}"})).json()
        cohorts = []
        for number in (1, 2):
            cohort = await api.post(
                "/staff/cohorts",
                json={"programme_id": programme["id"], "number": number, "name": f"Leaders {tag}"},
            )
            assert cohort.status_code == 201, cohort.text
            emails = [f"c{number}-{n}-{tag}@example.org" for n in range(3)]
            roster = "name,email,organisation,role\n" + "".join(
                f"Leader {number}{n},{e},Bolton,Director\n" for n, e in enumerate(emails)
            )
            imported = await api.post(
                f"/staff/cohorts/{cohort.json()['id']}/roster",
                content=roster.encode(),
                headers={"content-type": "text/csv"},
            )
            assert imported.status_code == 200, imported.text
            cohorts.append(emails)
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
        event = await api.post(
            "/staff/events",
            json={
                "title": f"Reunion {tag}",
                "programme_id": programme["id"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=6)).isoformat(),
                "capacity": 50,
            },
        )
        assert event.status_code == 201, event.text
        published = await api.post(f"/staff/events/{event.json()['id']}/publish")
        assert published.status_code == 200, published.text
    return event.json(), cohorts


async def test_compose_count_preview_test_launch_watch_book_and_chase_in_the_browser(
    console_system: System,  # noqa: F811
    tab: Tab,
) -> None:
    page, smtp = tab.page, console_system.smtp
    seen: dict[str, list[str]] = {}
    base = console_system.url("console")
    tag = uuid.uuid4().hex[:6]
    event, (first, second) = await _arrange(console_system, tag)
    opted, booked = first[0], second[0]
    rest = [*first[1:], *second[1:]]
    async with httpx.AsyncClient(timeout=15) as client:
        link = sign_unsubscribe(DEV_UNSUBSCRIBE_KEY, email=opted, campaign_id=None)
        notifications = console_system.url("notifications")
        assert (await client.post(f"{notifications}/public/unsubscribe/{link}")).status_code == 200

        async def bookable() -> bool:
            answer = await client.get(
                f"{console_system.url('bookings')}/public/events/{event['id']}"
            )
            return answer.status_code == 200

        await wait_for(bookable, timeout=30, message="the event reached bookings")
        made = await client.post(
            f"{console_system.url('bookings')}/public/events/{event['id']}/bookings",
            json={"name": "Already Booked", "email": booked, "organisation": "Wigan"},
        )
        assert made.status_code == 201, made.text

    await page.goto(base + "/signin")
    await page.locator("#email").fill(ADMIN_EMAIL)
    await page.locator("#password").fill(ADMIN_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/")
    await page.get_by_role("link", name="Campaigns", exact=True).click()
    await check_page(page, seen)
    await page.get_by_role("link", name="New invitation").click()
    await check_page(page, seen)
    await page.locator("#f-event_id").select_option(label=str(event["title"]))
    await page.get_by_label(re.compile(f"^Cohort 1: Leaders {tag}")).check()
    await page.get_by_label(re.compile(f"^Cohort 2: Leaders {tag}")).check()
    await page.locator("#f-subject").fill("Join us at the Reunion")
    await page.locator("#f-message").fill("We would love to see you.\n\nBring a story.")
    await page.get_by_role("button", name="Save draft").click()
    await page.get_by_text("The campaign was saved as a draft").wait_for()
    campaign_url = page.url.split("?")[0]

    # The roster and the booking reach notifications through messages: reload until they have.
    async def counted() -> bool:
        await page.goto(campaign_url)
        shown = await page.locator("#reaches").text_content()
        booked_note = page.locator("[data-left-out=booked]")
        return shown == "4" and await booked_note.count() == 1

    await wait_for(counted, timeout=40, interval=1, message="the audience counted")
    assert await page.locator("[data-left-out=opted_out]").text_content() == "1 opted out"
    assert await page.locator("[data-left-out=booked]").text_content() == "1 already booked"
    await page.get_by_role("cell", name=opted).wait_for()
    await check_page(page, seen)

    # Preview as one chosen invitee, then a test to oneself.
    await page.locator("#f-as").fill(second[2])
    await page.get_by_role("button", name="Show").click()
    assert await page.locator("#preview-to").text_content() == second[2]
    text = await page.locator("#preview-text").text_content() or ""
    assert "Leader 22" in text and "Bring a story." in text and "/book/" in text
    frame = page.frame_locator("iframe.preview")
    await frame.get_by_text("Bring a story.").wait_for()
    before = len(smtp.to(ADMIN_EMAIL))
    await page.get_by_role("button", name=f"Send a test to {ADMIN_EMAIL}").click()
    await page.get_by_text("A test was sent to your own address.").wait_for(timeout=30_000)
    await wait_for(lambda: len(smtp.to(ADMIN_EMAIL)) > before, timeout=20, message="the test")
    assert smtp.to(ADMIN_EMAIL)[-1]["Subject"] == "Join us at the Reunion"

    # Launch: without the box ticked nothing is sent; the confirmation names the count.
    page.on("dialog", lambda dialog: dialog.accept())
    await page.get_by_label("Send to 4 people").check()
    await page.evaluate("() => { window.stayedOnPage = true; }")
    await page.get_by_role("button", name="Launch to 4 people").click()
    await page.get_by_text("The campaign is launched.").wait_for()
    await page.evaluate("() => { window.stayedOnPage = true; }")
    await page.wait_for_function(
        "() => document.querySelector('#progress').dataset.status === 'completed'", timeout=40_000
    )
    assert await page.evaluate("() => window.stayedOnPage === true")  # no reload: polled
    assert await page.locator("[data-count=sent]").text_content() == "4"
    for address in rest:
        assert len(smtp.to(address)) == 1, address
    assert not smtp.to(opted)
    assert "Join us at the Reunion" not in [m["Subject"] for m in smtp.to(booked)]
    await check_page(page, seen)

    # One invitee books from the link in their email: "booked" counts it.
    invite = smtp.to(rest[0])[0].get_body(("plain",)).get_content()
    token = re.search(r"/book/[\w-]+\?invitation=([\w.\-]+)", invite)
    assert token, invite
    async with httpx.AsyncClient(timeout=15) as client:
        made = await client.post(
            f"{console_system.url('bookings')}/public/events/{event['id']}/bookings",
            json={
                "name": "Leader 11",
                "email": rest[0],
                "organisation": "Bolton",
                "invitation": token.group(1),
            },
        )
        assert made.status_code == 201, made.text

    async def booked_counted() -> bool:
        await page.goto(campaign_url)
        return await page.locator("[data-count=booked]").text_content() == "1"

    await wait_for(booked_counted, timeout=30, interval=1, message="booked from the invitation")

    # Remind those who have not booked: exactly the other three.
    await page.locator("#f-chase_subject").fill("Still time to book")
    await page.get_by_role("button", name="Draft the reminder").click()
    await page.get_by_text("A reminder to those who have not booked was drafted").wait_for()
    assert await page.locator("#reaches").text_content() == "3"
    await page.get_by_label("Send to 3 people").check()
    await page.get_by_role("button", name="Launch to 3 people").click()
    await page.wait_for_function(
        "() => document.querySelector('#progress').dataset.status === 'completed'", timeout=40_000
    )
    for address in rest[1:]:
        assert [m["Subject"] for m in smtp.to(address)].count("Still time to book") == 1
    assert "Still time to book" not in [m["Subject"] for m in smtp.to(rest[0])]
    assert not smtp.to(opted)

    # The dashboard and the person's deliveries.
    await page.goto(base + "/")
    await check_page(page, seen)
    await page.goto(base + f"/deliveries?email={rest[1]}")
    await page.get_by_role("cell", name="Still time to book").wait_for()
    await check_page(page, seen)
    await page.goto(base + "/announcements/new?event_id=" + str(event["id"]))
    await check_page(page, seen)
    assert {path: problems for path, problems in seen.items() if problems} == {}
    assert tab.script_errors() == []
