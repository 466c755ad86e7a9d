"""The booking widget in real headless Chromium, embedded in the partner site on its own
origin, against the three services running as processes with a real SMTP server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Locator, Page, expect

from devtools.partner_site import GUEST, MASTERCLASS, REUNION
from shared.invitations import sign_invitation
from shared.settings import DEV_INVITATION_KEY
from tests.browser.conftest import (
    PartnerSite,
    Tab,
    open_tab,
    publish_event,
    put_event_with_options,
)
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


def someone(n: int = 1) -> dict[str, str]:
    return {
        "name": f"Priya Shah {n}",
        "email": f"priya.{n}.{uuid.uuid4().hex[:8]}@example.org",
        "organisation": "Trafford Council",
    }


def widget(page: Page, index: int = 0) -> Locator:
    return page.locator("gm-booking").nth(index)


async def fill(form: Locator, who: dict[str, str]) -> None:
    for name, value in who.items():
        await form.locator(f"#f-{name}").fill(value)


async def serious_violations(page: Page) -> list[str]:
    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def focused_class(page: Page, index: int = 0) -> str | None:
    return await page.evaluate(  # type: ignore[no-any-return]
        """i => { const a = document.querySelectorAll('gm-booking')[i].shadowRoot.activeElement;
                  return a ? (a.className || a.id) : null; }""",
        index,
    )


async def test_two_widgets_render_with_one_request_each_and_no_serious_a11y_issue(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    first, _ = await publish_event(system, capacity=5, title="Adaptive Leadership masterclass")
    _, slug = await publish_event(system, capacity=1, title="Systems Leadership masterclass")
    api_calls: list[str] = []
    tab.page.on("request", lambda r: api_calls.append(r.url) if "/public/" in r.url else None)

    await tab.page.goto(partner_site.url(first, slug, partner=partner_key))

    await expect(widget(tab.page, 0).locator("h2")).to_have_text("Adaptive Leadership masterclass")
    await expect(widget(tab.page, 1).locator("h2")).to_have_text("Systems Leadership masterclass")
    await expect(widget(tab.page, 0).locator("dd").nth(1)).to_have_text("5 places left")
    await expect(widget(tab.page, 1).locator("dd").nth(1)).to_have_text("1 place left")
    await expect(widget(tab.page, 0).locator("button")).to_have_text("Book a place")
    assert len(api_calls) == 2, api_calls  # one request to draw each event
    assert any(f"/by-slug/{slug}" in url for url in api_calls)
    await tab.shot("rendered")
    assert await serious_violations(tab.page) == []
    assert tab.console_errors == [] and tab.page_errors == []


async def test_booking_confirms_and_the_email_arrives(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(system, capacity=3, title="Adaptive Leadership masterclass")
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    form = widget(tab.page)
    who = someone()
    await fill(form, who)
    await form.locator("#f-sector").select_option("public")
    await tab.shot("form-filled")

    await form.locator("button").click()

    outcome = form.locator(".o")
    await expect(outcome).to_be_visible()
    await expect(outcome.locator("h3")).to_have_text("You have a place")
    await expect(outcome).to_contain_text(who["email"])
    assert await outcome.get_attribute("data-status") == "confirmed"
    assert await focused_class(tab.page) == "o"
    await tab.shot("confirmed")
    messages = await wait_for(
        lambda: system.smtp.to(who["email"]), timeout=20, message="the confirmation email"
    )
    assert messages[0]["Subject"].startswith("Your place is confirmed")
    assert await serious_violations(tab.page) == []
    assert tab.console_errors == [] and tab.page_errors == []


async def test_last_place_goes_to_one_of_two_browsers_the_other_waits(
    system: System, partner_site: PartnerSite, partner_key: str, browser: Browser
) -> None:
    event_id, _ = await publish_event(system, capacity=1, title="The last place")
    contexts, tabs = zip(*[await open_tab(browser) for _ in range(2)], strict=True)
    try:
        for n, tab in enumerate(tabs):
            await tab.page.goto(partner_site.url(event_id, partner=partner_key))
            await expect(widget(tab.page).locator("dd").nth(1)).to_have_text("1 place left")
            await fill(widget(tab.page), someone(n))

        await asyncio.gather(*(widget(t.page).locator("button").click() for t in tabs))

        outcomes = [widget(t.page).locator(".o") for t in tabs]
        for outcome in outcomes:
            await expect(outcome).to_be_visible()
        statuses = [await o.get_attribute("data-status") for o in outcomes]
        assert sorted(statuses) == ["confirmed", "waitlisted"]  # type: ignore[type-var]
        waiting = outcomes[statuses.index("waitlisted")]
        await expect(waiting.locator("h3")).to_have_text("You are on the waiting list")
        await expect(waiting).to_contain_text("number 1 on the waiting list")
        for tab, status in zip(tabs, statuses, strict=True):
            await tab.shot(f"race-{status}")
            assert tab.console_errors == [] and tab.page_errors == []
    finally:
        for context in contexts:
            await context.close()


async def test_validation_errors_show_next_to_their_fields(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(system, capacity=3, title="Adaptive Leadership masterclass")
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    form = widget(tab.page)
    await fill(form, {"name": "", "email": "not-an-email", "organisation": "Trafford Council"})
    await form.locator("#f-role").fill("Head of\x07Service")  # a control character

    await form.locator("button").click()

    expected = {
        "name": "Please fill this in.",
        "email": "Enter an email address like name@example.org.",
        "role": "Please remove special characters.",
    }
    for field, text in expected.items():
        error = form.locator(f"#e-{field}")
        await expect(error).to_have_text(text)
        field_input = form.locator(f"#f-{field}")
        assert await field_input.get_attribute("aria-invalid") == "true"
        assert await field_input.get_attribute("aria-describedby") == f"e-{field}"
        # Next to its field: straight below the input, within the same field block.
        below = await field_input.bounding_box()
        at = await error.bounding_box()
        assert below and at and 0 <= at["y"] - (below["y"] + below["height"]) < 20
    await expect(form.locator("#e-organisation")).to_be_hidden()
    await expect(form.locator(".p")).to_have_text("Please correct the highlighted fields.")
    assert await focused_class(tab.page) == "f-name"
    await tab.shot("validation-errors")
    assert await serious_violations(tab.page) == []
    assert tab.script_errors() == []


async def test_a_site_not_registered_for_the_key_gets_a_polite_message(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(system, capacity=3, title="Adaptive Leadership masterclass")
    # The same site under a name the partner did not register: another origin.
    async with tab.page.expect_response(lambda r: "/public/events/" in r.url) as answer:
        await tab.page.goto(partner_site.url(event_id, partner=partner_key, host="localhost"))
    assert (await answer.value).status == 403

    message = widget(tab.page).locator("[role=alert]")
    await expect(message).to_have_text(
        "Sorry, this booking form is not available on this site. "
        "Please contact the organisers to book a place."
    )
    await expect(widget(tab.page).locator("form")).to_have_count(0)
    await tab.shot("origin-not-allowed")
    assert tab.script_errors() == []


STYLE_PROPERTIES = (
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-style",
    "padding-top",
    "border-top-width",
    "border-top-style",
    "text-transform",
    "letter-spacing",
    "box-sizing",
    "width",
    "height",
)


async def looks(page: Page) -> dict[str, Any]:
    return await page.evaluate(  # type: ignore[no-any-return]
        """props => {
            const root = document.querySelector('gm-booking').shadowRoot;
            const gm = root.querySelector('.gm').getBoundingClientRect();
            const out = {};
            for (const sel of ['.gm', 'h2', 'dt', 'label', '#f-name', 'select', 'textarea',
                               'button', '.r', '.r input']) {
                const el = root.querySelector(sel), s = getComputedStyle(el);
                const box = el.getBoundingClientRect();
                // Where it sits inside the widget, and how big it is: the layout.
                out[sel] = props.map(p => s.getPropertyValue(p)).concat(
                    [box.x - gm.x, box.y - gm.y, box.width, box.height]);
            }
            return out;
        }""",
        list(STYLE_PROPERTIES),
    )


async def test_partner_stylesheet_on_div_input_button_does_not_change_the_widget(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(system, capacity=3, title="Adaptive Leadership masterclass")
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    await expect(widget(tab.page).locator("button")).to_be_visible()
    plain = await looks(tab.page)
    await tab.shot("styles-plain")

    await tab.page.goto(partner_site.url(event_id, partner=partner_key, hostile="1"))
    await expect(widget(tab.page).locator("button")).to_be_visible()
    # The hostile sheet really is on the page: it restyles the partner's own elements.
    assert (
        await tab.page.evaluate(
            "getComputedStyle(document.querySelector('div.booking')).backgroundColor"
        )
        == "rgb(255, 255, 0)"
    )
    assert await looks(tab.page) == plain

    await tab.shot("styles-hostile-partner-css")
    assert tab.console_errors == [] and tab.page_errors == []


async def test_booking_with_the_keyboard_alone(
    system: System, partner_site: PartnerSite, partner_key: str, tab: Tab
) -> None:
    event_id, _ = await publish_event(system, capacity=3, title="Adaptive Leadership masterclass")
    await tab.page.goto(partner_site.url(event_id, partner=partner_key))
    await expect(widget(tab.page).locator("button")).to_be_visible()
    who = someone()
    keys = tab.page.keyboard

    await keys.press("Tab")  # the first thing to reach on the page is the widget's name field
    assert await focused_class(tab.page) == "f-name"
    await keys.type(who["name"])
    await keys.press("Tab")
    await keys.type(who["email"])
    await keys.press("Tab")
    await keys.type(who["organisation"])
    for _ in range(5):  # role, sector, dietary needs, access needs, consent
        await keys.press("Tab")
    assert await focused_class(tab.page) == "f-consent_to_contact"
    await keys.press("Space")
    await keys.press("Tab")  # past the honeypot, straight to the button
    assert (
        await tab.page.evaluate(
            "document.querySelector('gm-booking').shadowRoot.activeElement.tagName"
        )
        == "BUTTON"
    )
    await keys.press("Enter")

    outcome = widget(tab.page).locator(".o")
    await expect(outcome).to_be_visible()
    assert await outcome.get_attribute("data-status") == "confirmed"
    assert await focused_class(tab.page) == "o"
    assert await widget(tab.page).locator("[aria-live=polite]").count() == 1
    await tab.shot("keyboard-booked")
    assert tab.console_errors == [] and tab.page_errors == []


async def test_demo_page_embeds_the_masterclass_and_the_reunion_invitation(
    system: System, partner_site: PartnerSite, tab: Tab
) -> None:
    await publish_event(
        system, capacity=60, title="Adaptive Leadership masterclass", slug=MASTERCLASS
    )
    await publish_event(system, capacity=150, title="Reunion and Reflection", slug=REUNION)

    await tab.page.goto(f"{partner_site.origin}/")  # sends the guest on with an invitation

    assert "invitation=" in tab.page.url
    await expect(widget(tab.page, 0).locator("h3")).to_have_text("Adaptive Leadership masterclass")
    reunion = widget(tab.page, 1)
    await expect(reunion.locator("h3")).to_have_text("Reunion and Reflection")
    await expect(reunion.locator("#f-email")).to_have_value(GUEST)
    # The invitation is for the reunion only: the masterclass leaves the address alone.
    await expect(widget(tab.page, 0).locator("#f-email")).to_have_value("")
    await fill(reunion, {"name": "Reunion Guest", "organisation": "Wigan Council"})
    await reunion.locator("button").click()
    await expect(reunion.locator(".o")).to_have_attribute("data-status", "confirmed")
    await tab.shot("demo-page")
    assert tab.console_errors == [] and tab.page_errors == []


async def test_campaign_link_books_an_option_and_the_manage_page_changes_then_cancels(
    system: System, tab: Tab
) -> None:
    event_id = await put_event_with_options(system, {"Street Wisdom walk": 2, "Comedy": 1})
    email = f"invitee.{uuid.uuid4().hex[:8]}@example.org"
    invitation = sign_invitation(
        DEV_INVITATION_KEY, event_id=uuid.UUID(event_id), email=email, campaign_id=uuid.uuid4()
    )
    bookings = system.url("bookings")

    # The link a campaign email carries: bookings' own page, with the widget on it.
    await tab.page.goto(f"{bookings}/book/{event_id}?invitation={invitation}")
    form = widget(tab.page)
    await expect(form.locator("#f-email")).to_have_value(email)
    await fill(form, {"name": "Invited Leader", "organisation": "Oldham Council"})
    await form.get_by_label("Street Wisdom walk (2 left)").check()
    await form.locator("button").click()
    link = form.locator(".o").get_by_role("link", name="Change or cancel your booking")
    await expect(link).to_have_text("Change or cancel your booking")
    manage_url = str(await link.get_attribute("href"))
    await tab.shot("booking-page-confirmed")
    assert await serious_violations(tab.page) == []

    # This system's manage links name a host that does not exist; the path is what matters.
    await tab.page.goto(bookings + "/manage/" + manage_url.rsplit("/manage/", 1)[1])
    page = tab.page
    details = page.locator(".card dd")
    await expect(details.nth(2)).to_have_text("Confirmed: you have a place")
    await expect(details.nth(3)).to_have_text("Street Wisdom walk")
    await tab.shot("manage-page")
    assert await serious_violations(page) == []

    await page.get_by_label("Comedy (1 place left)").check()
    await page.get_by_role("button", name="Change option").click()
    await expect(page.locator("#status")).to_have_text("Done: your option is now Comedy.")
    await expect(page.locator("#status")).to_be_focused()
    await expect(details.nth(3)).to_have_text("Comedy")

    await page.get_by_role("button", name="Cancel my booking").click()
    await expect(page.locator("#confirm-text")).to_be_focused()
    await page.get_by_role("button", name="Yes, cancel my booking").click()
    await expect(page.locator("#status")).to_have_text(
        "Your booking is cancelled. We have sent you an email to confirm."
    )
    await expect(details.nth(2)).to_have_text("Cancelled")
    await tab.shot("manage-page-cancelled")
    assert tab.console_errors == [] and tab.page_errors == []
