"""What a leader sees in the widget, the hosted booking page and the manage page: every session
with its own date in the event's time zone, the description, who leads it, the venue with
access information and a map link, "add to calendar", and an honest message for each
invitation problem. At phone and desktop width, axe clean, by keyboard, with hostile text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from services.bookings.handlers import apply_event_state, apply_member_added
from services.bookings.settings import BookingsSettings
from shared.contracts import (
    AudienceState,
    CohortMemberAdded,
    EventSession,
    EventState,
    PersonOnEvent,
    VenueState,
)
from shared.db import Database, make_engine
from shared.invitations import sign_invitation
from shared.settings import DEV_INVITATION_KEY
from tests.browser.conftest import Tab
from tests.browser.test_widget import fill, serious_violations, widget
from tests.support.system import System

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script> =?utf-8?b?SGk=?='
# 14:30 UTC in March 2031 is 9:30 in New York (EST) and 14:30 in London: the widget must say
# 9:30. The second day is three weeks later, after the US clocks change (10:30 EDT).
DAY_ONE = datetime(2031, 3, 4, 14, 30, tzinfo=UTC)
DAY_TWO = DAY_ONE + timedelta(days=21)
WIDTHS = [(375, 800), (1280, 900)]


async def _apply(system: System, work) -> None:  # type: ignore[no-untyped-def]
    settings = BookingsSettings(database_url=system.infra.database_urls["bookings"])
    db = Database(make_engine(settings.database_url, pool_size=1), producer="bookings")
    try:
        async with db.unit_of_work() as uow:
            await work(uow, settings)
            await uow.commit()
    finally:
        await db.dispose()


async def put_immersion(system: System, **overrides: object) -> EventState:
    """A two-day event applied to bookings' replica as a catalogue message would be."""
    values: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "version": 1,
        "title": "Immersion " + HOSTILE,
        "summary": "Two days with the Salford Innovation Forum.",
        "description": "What the days hold.\n\nBring walking shoes " + HOSTILE,
        "timezone": "America/New_York",
        "starts_at": DAY_ONE,
        "ends_at": DAY_TWO + timedelta(hours=6),
        "capacity": 20,
        "sessions": [
            EventSession(
                session_id=uuid.uuid4(),
                title="Day one",
                starts_at=DAY_ONE,
                ends_at=DAY_ONE + timedelta(hours=6),
            ),
            EventSession(
                session_id=uuid.uuid4(),
                title="Day two",
                starts_at=DAY_TWO,
                ends_at=DAY_TWO + timedelta(hours=6),
            ),
        ],
        "venue": VenueState(
            name="Salford Innovation Forum",
            address="Frederick Road, Salford",
            accessibility="Step-free entrance; hearing loop in the main room",
            map_url="https://maps.example.org/?q=salford+innovation+forum",
        ),
        "people": [
            PersonOnEvent(name="Asha Patel", role="Facilitator", organisation="Leading GM"),
            PersonOnEvent(name=HOSTILE, role="Guest speaker", title="Chief Executive"),
        ],
    }
    values.update(overrides)
    state = EventState(**values)  # type: ignore[arg-type]

    async def work(uow, settings):  # type: ignore[no-untyped-def]
        await apply_event_state(state, uow, settings)

    await _apply(system, work)
    return state


async def not_pwned(page: Page) -> None:
    assert await page.evaluate("window.pwned === undefined")
    root = "document.querySelector('gm-booking').shadowRoot"
    assert await page.evaluate(f"{root}.querySelectorAll('img, script').length") == 0


@pytest.mark.parametrize("width,height", WIDTHS)
async def test_each_session_in_the_events_time_zone_with_people_venue_and_calendar(
    system: System, tab: Tab, width: int, height: int
) -> None:
    await tab.page.set_viewport_size({"width": width, "height": height})
    state = await put_immersion(system)
    bookings = system.url("bookings")
    await tab.page.goto(f"{bookings}/book/{state.event_id}")
    form = widget(tab.page)

    await expect(form.locator("h2")).to_have_text(state.title)
    days = form.locator("dd ul li")
    await expect(days).to_have_count(2)
    await expect(days.nth(0)).to_contain_text("Day one")
    await expect(days.nth(0)).to_contain_text("4 March 2031")
    await expect(days.nth(0)).to_contain_text("9:30 to 15:30 GMT-5")
    await expect(days.nth(1)).to_contain_text("25 March 2031")
    await expect(days.nth(1)).to_contain_text("10:30 to 16:30 GMT-4")
    assert "14:30" not in await days.nth(0).inner_text()  # not London time
    await expect(form.locator("p.d").nth(1)).to_have_text("Bring walking shoes " + HOSTILE)
    await expect(form.locator("li", has_text="Asha Patel")).to_have_text(
        "Asha Patel, Facilitator (Leading GM)"
    )
    await expect(form.locator("li", has_text="Guest speaker")).to_contain_text(HOSTILE)
    await expect(form.get_by_text("Access: Step-free entrance")).to_be_visible()
    map_link = form.get_by_role("link", name="Map of Salford Innovation Forum")
    assert await map_link.get_attribute("href") == state.venue.map_url  # type: ignore[union-attr]
    assert await map_link.get_attribute("rel") == "noopener noreferrer"
    await not_pwned(tab.page)
    assert await serious_violations(tab.page) == []
    await tab.shot(f"details-{width}")

    email = f"immersion.{uuid.uuid4().hex[:8]}@example.org"
    await fill(form, {"name": HOSTILE, "email": email, "organisation": "Salford City Council"})
    await form.locator("button").click()
    box = form.locator(".cal")
    await expect(box.locator("h4")).to_have_text("Add to your calendar")
    ics = box.get_by_role("link", name="Download the calendar file (.ics)")
    google = box.get_by_role("link", name="Google Calendar (opens in a new tab)")
    await expect(google).to_have_count(2)
    await expect(box.get_by_role("link", name="Outlook (opens in a new tab)")).to_have_count(2)
    assert "calendar.google.com" in str(await google.first.get_attribute("href"))
    assert email not in str(await google.first.get_attribute("href"))
    # This system's links name a host that does not exist; the path is what matters.
    ics_path = str(await ics.get_attribute("href")).split("/public/", 1)[1]
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(f"{bookings}/public/{ics_path}")
    assert r.status_code == 200 and r.text.count("BEGIN:VEVENT") == 2
    assert "TZID=America/New_York" in r.text
    await not_pwned(tab.page)
    assert await serious_violations(tab.page) == []
    await tab.shot(f"details-booked-{width}")

    # The manage page: the same sessions in New York time, the venue, the calendar links.
    manage = str(await form.locator(".o a").first.get_attribute("href"))
    await tab.page.goto(bookings + "/manage/" + manage.rsplit("/manage/", 1)[1])
    page = tab.page
    sessions = page.locator(".card dd ul li")
    await expect(sessions.nth(0)).to_contain_text("9:30 to 15:30 GMT-5")
    await expect(sessions.nth(1)).to_contain_text("Day two")
    await expect(page.locator(".card dd", has_text="Salford Innovation Forum")).to_contain_text(
        "Step-free entrance"
    )
    await expect(page.get_by_role("link", name="Download the calendar file (.ics)")).to_be_visible()
    await expect(page.locator(".card dd").nth(3)).to_have_text(HOSTILE)  # the name, as text
    assert await page.evaluate("window.pwned === undefined")
    assert await serious_violations(page) == []
    await tab.shot(f"manage-details-{width}")
    assert tab.script_errors() == []


async def test_calendar_links_are_reached_by_keyboard_and_the_text_can_be_overridden(
    system: System, tab: Tab
) -> None:
    await tab.page.add_init_script(
        'window.GMBookingText = { addToCalendar: "In je agenda", ics: "Agendabestand" };'
    )
    state = await put_immersion(system, venue=None, people=[])
    await tab.page.goto(f"{system.url('bookings')}/book/{state.event_id}")
    form = widget(tab.page)
    await fill(
        form,
        {
            "name": "Keyboard Leader",
            "email": f"keys.{uuid.uuid4().hex[:8]}@example.org",
            "organisation": "Bury Council",
        },
    )
    await form.locator("#f-organisation").press("Enter")
    box = form.locator(".cal")
    await expect(box.locator("h4")).to_have_text("In je agenda")
    # Focus sits on the outcome; the next stops are the manage link, then the calendar file.
    keys = tab.page.keyboard
    await keys.press("Tab")
    await keys.press("Tab")
    focused = "document.querySelector('gm-booking').shadowRoot.activeElement.textContent"
    assert await tab.page.evaluate(focused) == "Agendabestand"
    assert tab.script_errors() == []


async def test_invitation_only_event_shows_by_invitation_and_each_problem_its_own_message(
    system: System, tab: Tab
) -> None:
    cohort = uuid.uuid4()
    state = await put_immersion(
        system, audience=AudienceState(kind="invitation", cohort_ids=[cohort]), venue=None
    )
    page_url = f"{system.url('bookings')}/book/{state.event_id}"

    await tab.page.goto(page_url)
    form = widget(tab.page)
    await expect(form.get_by_text("This event is by invitation.")).to_be_visible()
    await expect(form.locator("form")).to_have_count(0)
    assert await serious_violations(tab.page) == []

    email = f"roster.{uuid.uuid4().hex[:8]}@example.org"
    expired = sign_invitation(
        DEV_INVITATION_KEY,
        event_id=state.event_id,
        email=email,
        campaign_id=uuid.uuid4(),
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    other_event = sign_invitation(
        DEV_INVITATION_KEY, event_id=uuid.uuid4(), email=email, campaign_id=uuid.uuid4()
    )
    for token, text in (
        (expired, "This invitation has expired."),
        (other_event, "This invitation is for another event."),
        ("garbage.token.here", "This invitation link is not complete or not valid."),
    ):
        await tab.page.goto(f"{page_url}?invitation={token}")
        await expect(form.locator("[role=alert]")).to_contain_text(text)
        await expect(form.locator("form")).to_have_count(0)

    async def member(uow, settings):  # type: ignore[no-untyped-def]
        await apply_member_added(
            CohortMemberAdded(
                cohort_id=cohort,
                member_id=uuid.uuid4(),
                email=email,
                name="Rosa Member " + HOSTILE,
                organisation="Stockport Council",
                version=1,
            ),
            uow,
        )

    await _apply(system, member)
    valid = sign_invitation(
        DEV_INVITATION_KEY, event_id=state.event_id, email=email, campaign_id=uuid.uuid4()
    )
    await tab.page.goto(f"{page_url}?invitation={valid}")
    await expect(form.locator("#f-email")).to_have_value(email)
    await expect(form.locator("#f-name")).to_have_value("Rosa Member " + HOSTILE)
    await expect(form.locator("#f-organisation")).to_have_value("Stockport Council")
    # Nothing personal in any address the widget asked for: only the signed token, in a body.
    assert email not in tab.page.url.replace(valid, "")
    await form.locator("button").click()
    await expect(form.locator(".o")).to_have_attribute("data-status", "confirmed")
    await not_pwned(tab.page)
    assert await serious_violations(tab.page) == []
    await tab.shot("invitation-prefilled-booked")
    assert tab.script_errors() == []


async def test_an_invitation_to_a_full_event_says_so_without_a_form(
    system: System, tab: Tab
) -> None:
    state = await put_immersion(
        system,
        audience=AudienceState(kind="invitation"),
        capacity=0,
        waitlist_enabled=False,
        venue=None,
    )
    valid = sign_invitation(
        DEV_INVITATION_KEY,
        event_id=state.event_id,
        email=f"late.{uuid.uuid4().hex[:8]}@example.org",
        campaign_id=uuid.uuid4(),
    )
    await tab.page.goto(f"{system.url('bookings')}/book/{state.event_id}?invitation={valid}")
    form = widget(tab.page)
    await expect(form.locator("[role=alert]")).to_have_text(
        "Sorry, this event is now full, so your invitation can no longer be used to book a place."
    )
    await expect(form.locator("form")).to_have_count(0)
    assert await serious_violations(tab.page) == []
    assert tab.script_errors() == []
