"""The console's pages over HTTP against the running services: an event from the form to
published, the catalogue's 422 beside its field, attendees, a roster with a bad row previewed
then imported, staff accounts, partners, and the audit log of the console's own actions."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from tests.conftest import token
from tests.console.conftest import csrf_of
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


async def _programme(system: System) -> str:
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        slug = f"p-{uuid.uuid4().hex[:8]}"
        made = await api.post("/staff/programmes", json={"name": "Leading GM <b>", "slug": slug})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


def _event_form(page: str, title: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_of(page),
        "title": title,
        "timezone": "Europe/London",
        "capacity": "2",
        "waitlist_enabled": "on",
        "audience_kind": "public",
        "sessions.0.title": "Day one",
        "sessions.0.starts_at": "2031-05-06T09:30",
        "sessions.0.ends_at": "2031-05-06T17:00",
        "sessions.1.title": "Day two",
        "sessions.1.starts_at": "2031-05-07T09:30",
        "sessions.1.ends_at": "2031-05-07T16:00",
        "sessions.2.starts_at": "",
        "options.0.name": "Canal walk",
        "options.0.capacity": "1",
        "options.1.name": "Cookery",
        "options.1.capacity": "1",
        **extra,
    }


async def test_an_event_from_form_to_published_with_bookings(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    page = await admin.get("/events/new")
    assert page.status_code == 200
    bad = await admin.post(
        "/events/new",
        data=_event_form(page.text, "Reunion", **{"sessions.1.ends_at": "2031-05-07T08:00"}),
    )
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text and "Reunion" in bad.text

    hostile = "Reunion <script>alert(1)</script>"
    made = await admin.post("/events/new", data=_event_form(page.text, hostile))
    assert made.status_code == 303, made.text
    event_url = made.headers["location"].split("?")[0]
    event_id = event_url.rsplit("/", 1)[-1]
    shown = await admin.get(event_url)
    assert "&lt;script&gt;" in shown.text and "<script>alert" not in shown.text
    assert "Day one" in shown.text and "Day two" in shown.text

    published = await admin.post(f"{event_url}/publish", data={"csrf_token": csrf_of(shown.text)})
    assert published.status_code == 303

    async def replicated() -> bool:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{console_system.url('bookings')}/public/events/{event_id}")
            return r.status_code == 200

    await wait_for(replicated, timeout=30, message="event in bookings")
    attendees = await admin.get(f"{event_url}/attendees")
    options = {o["name"]: o for o in (await _event(console_system, event_id))["options"]}
    for name, email, option in (
        ("Ada", "ada@example.org", "Canal walk"),
        ("Grace", "grace@example.org", "Cookery"),
        ("Edsger", "edsger@example.org", "Cookery"),
    ):
        booked = await admin.post(
            f"{event_url}/attendees",
            data={
                "csrf_token": csrf_of(attendees.text),
                "name": name,
                "email": email,
                "organisation": '=HYPERLINK("x")',
                **_chosen(options[option]),
            },
        )
        assert booked.status_code == 303, booked.text
    listing = await admin.get(f"{event_url}/attendees?status=waitlisted")
    assert "Edsger" in listing.text and "Ada" not in listing.text
    missing_email = await admin.post(
        f"{event_url}/attendees",
        data={
            "csrf_token": csrf_of(listing.text),
            "name": "X",
            "email": "",
            "organisation": "Y",
            **_chosen(options["Canal walk"]),
        },
    )
    assert missing_email.status_code == 422 and 'id="f-email-error"' in missing_email.text

    export = await admin.get(f"{event_url}/attendees.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "grace@example.org" in export.text


async def _published(
    system: System, admin: httpx.AsyncClient, title: str, **extra: str
) -> tuple[str, str]:
    """An event made from the form and published, once bookings has it: its page and id."""
    page = await admin.get("/events/new")
    made = await admin.post("/events/new", data=_event_form(page.text, title, **extra))
    assert made.status_code == 303, made.text
    event_url = made.headers["location"].split("?")[0]
    event_id = event_url.rsplit("/", 1)[-1]
    shown = await admin.get(event_url)
    published = await admin.post(f"{event_url}/publish", data={"csrf_token": csrf_of(shown.text)})
    assert published.status_code == 303

    async def replicated() -> bool:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
            return r.status_code == 200

    await wait_for(replicated, timeout=30, message="event in bookings")
    return event_url, event_id


def _chosen(option: dict) -> dict[str, str]:
    """The booking form's field for an option: its group's select."""
    return {f"option.{option['group_id']}": option["option_id"]}


async def _event(system: System, event_id: str) -> dict:
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        return (await api.get(f"/staff/events/{event_id}")).json()


async def test_a_roster_is_previewed_then_imported_with_its_bad_row(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    programme_id = await _programme(console_system)
    page = await admin.get("/cohorts")
    made = await admin.post(
        "/cohorts",
        data={"csrf_token": csrf_of(page.text), "programme_id": programme_id, "number": "7"},
    )
    assert made.status_code == 303, made.text
    cohort_url = made.headers["location"].split("?")[0]
    cohort = await admin.get(cohort_url)
    roster = (
        "name,email,organisation,role\n"
        "Ada Lovelace,ada@example.org,Salford,Director\n"
        "No Email,,Bolton,Chief\n"
        "Grace Hopper,grace@example.org,Wigan,Head\n"
    )
    preview = await admin.post(
        f"{cohort_url}/roster/preview",
        data={"csrf_token": csrf_of(cohort.text)},
        files={"roster": ("roster.csv", roster.encode(), "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert "will be added" in preview.text and "<td>3</td>" in preview.text
    assert "Ada Lovelace" not in (await admin.get(cohort_url)).text  # nothing written yet

    payload = preview.text.split('name="payload" value="', 1)[1].split('"', 1)[0]
    done = await admin.post(
        f"{cohort_url}/roster", data={"csrf_token": csrf_of(preview.text), "payload": payload}
    )
    assert done.status_code == 200 and "Roster imported" in done.text
    members = await admin.get(cohort_url)
    assert "Ada Lovelace" in members.text and "Grace Hopper" in members.text
    export = await admin.get(f"{cohort_url}/roster.csv")
    assert export.text.startswith("\ufeffid,name,email")


async def test_staff_accounts_and_the_last_admin(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    page = await admin.get("/staff")
    short = await admin.post(
        "/staff",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Door",
            "email": "door@example.org",
            "password": "short",
            "roles": "checkin",
        },
    )
    assert short.status_code == 422 and "at least 12" in short.text
    made = await admin.post(
        "/staff",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Door Staff",
            "email": "door@example.org",
            "password": "a long enough password",
            "roles": "checkin",
        },
    )
    assert made.status_code == 303
    async with httpx.AsyncClient(base_url=console_system.url("console")) as door:
        from tests.console.conftest import sign_in

        assert (
            await sign_in(door, "door@example.org", "a long enough password")
        ).status_code == 303
        home = await door.get("/")  # door staff's home is the check-in page
        assert home.status_code == 303 and home.headers["location"] == "/checkin"
        assert (await door.get("/events")).status_code == 403
        listing = await admin.get("/staff")
        account_id = listing.text.split('href="/staff/', 2)[1].split('"')[0]
        if "Door Staff" not in (await admin.get(f"/staff/{account_id}")).text:
            account_id = listing.text.split('href="/staff/', 3)[2].split('"')[0]
        ended = await admin.post(
            f"/staff/{account_id}/sessions/end", data={"csrf_token": csrf_of(listing.text)}
        )
        assert ended.status_code == 303
        assert (await door.get("/")).status_code == 303  # signed out by the admin
    log = await admin.get("/audit")
    assert "sessions ended" in log.text and "signed in" in log.text


async def test_slides_and_photos_are_added_through_the_event_form(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    page = await admin.get("/events/new")
    made = await admin.post("/events/new", data=_event_form(page.text, "Masterclass"))
    assert made.status_code == 303, made.text
    event_url = made.headers["location"].split("?")[0]
    event_id = event_url.rsplit("/", 1)[-1]
    edit = await admin.get(f"{event_url}/edit")
    assert 'name="resources.0.url"' in edit.text and 'name="resources.1.url"' in edit.text

    filled = {k: v for k, v in _form_values(edit.text).items() if not k.startswith("resources.")}
    for bad, reason in (("javascript:alert(1)", "URL scheme"), ("not a url", "URL")):
        refused = await admin.post(
            f"{event_url}/edit",
            data={
                **filled,
                "resources.0.title": "Slides <b>",
                "resources.0.url": "https://example.org/slides.pdf",
                "resources.0.kind": "slides",
                "resources.1.title": "Photos",
                "resources.1.url": bad,
                "resources.1.kind": "photos",
            },
        )
        assert refused.status_code == 422, refused.text
        error = refused.text.split('id="f-resources-1-url-error">', 1)[1].split("</p>", 1)[0]
        assert reason in error, error
        assert 'id="f-resources-0-url-error"' not in refused.text
        assert (await _event(console_system, event_id))["resources"] == []

    saved = await admin.post(
        f"{event_url}/edit",
        data={
            **filled,
            "resources.0.title": "Slides <b>",
            "resources.0.url": "https://example.org/slides.pdf",
            "resources.0.kind": "slides",
            "resources.1.kind": "other",  # a blank row: its select still posts
            "resources.2.title": "Photos",
            "resources.2.url": "https://photos.example.org/album/1",
            "resources.2.kind": "photos",
        },
    )
    assert saved.status_code == 303, saved.text
    shown = await admin.get(event_url)
    assert 'href="https://example.org/slides.pdf"' in shown.text
    assert "Slides &lt;b&gt;" in shown.text and "Slides <b>" not in shown.text
    assert 'href="https://photos.example.org/album/1"' in shown.text

    published = await admin.post(f"{event_url}/publish", data={"csrf_token": csrf_of(shown.text)})
    assert published.status_code == 303
    async with httpx.AsyncClient(base_url=console_system.url("catalogue")) as public:
        answer = await public.get(f"/events/{event_id}")
    assert answer.status_code == 200, answer.text
    event = answer.json()
    assert [(r["kind"], r["title"], r["url"]) for r in event["resources"]] == [
        ("slides", "Slides <b>", "https://example.org/slides.pdf"),
        ("photos", "Photos", "https://photos.example.org/album/1"),
    ]
    # Saving the form again keeps them (their ids ride in hidden fields) rather than doubling.
    again = await admin.get(f"{event_url}/edit")
    resaved = await admin.post(f"{event_url}/edit", data=_form_values(again.text))
    assert resaved.status_code == 303, resaved.text
    assert len((await _event(console_system, event_id))["resources"]) == 2


def _form_values(page: str) -> dict[str, str]:
    """The values a browser would post from the event form: inputs, checked boxes, selected
    options."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "cohort_ids":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = (value.group(1) if value else "") or (
            "on" if kind and kind.group(1) == "checkbox" else ""
        )
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    textareas = r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>'
    for name, body in re.findall(textareas, page, re.S):
        values[name] = body.strip()
    return {k: html.unescape(v) for k, v in values.items()}


async def test_staff_change_a_booking_option_from_the_attendees_page(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    event_url, event_id = await _published(console_system, admin, "Dinner and walk")
    options = {o["name"]: o for o in (await _event(console_system, event_id))["options"]}
    attendees = await admin.get(f"{event_url}/attendees")
    for name, option in (("Ada <i>", "Canal walk"), ("Grace", "Cookery")):
        booked = await admin.post(
            f"{event_url}/attendees",
            data={
                "csrf_token": csrf_of(attendees.text),
                "name": name,
                "email": f"{name[:3].lower()}@example.org",
                "organisation": "Salford",
                **_chosen(options[option]),
            },
        )
        assert booked.status_code == 303, booked.text
    listing = await admin.get(f"{event_url}/attendees")
    assert 'aria-label="Change the option of Ada &lt;i&gt;"' in listing.text
    bookings = {b["name"]: b for b in await _bookings(console_system, event_id)}

    # Cookery's one place is Grace's: moving Ada there is refused with bookings' reason.
    full = await admin.post(
        f"{event_url}/attendees/{bookings['Ada <i>']['booking_id']}/change",
        data={"csrf_token": csrf_of(listing.text), "option_id": options["Cookery"]["option_id"]},
    )
    assert full.status_code == 409 and "Cookery is full" in full.text, full.text
    unknown = await admin.post(
        f"{event_url}/attendees/{bookings['Ada <i>']['booking_id']}/change",
        data={"csrf_token": csrf_of(listing.text), "option_id": str(uuid.uuid4())},
    )
    assert unknown.status_code == 422 and "not an option of this event" in unknown.text

    cancelled = await admin.post(
        f"{event_url}/attendees/{bookings['Grace']['booking_id']}/cancel",
        data={"csrf_token": csrf_of(listing.text), "reason": "ill"},
    )
    assert cancelled.status_code == 303
    moved = await admin.post(
        f"{event_url}/attendees/{bookings['Ada <i>']['booking_id']}/change",
        data={"csrf_token": csrf_of(listing.text), "option_id": options["Cookery"]["option_id"]},
    )
    assert moved.status_code == 303, moved.text
    after = {b["name"]: b for b in await _bookings(console_system, event_id)}
    assert after["Ada <i>"]["option_name"] == "Cookery"
    assert after["Ada <i>"]["status"] == "confirmed"


async def _bookings(system: System, event_id: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=system.url("bookings"), headers=STAFF) as api:
        return (await api.get(f"/staff/events/{event_id}/bookings")).json()["items"]


async def test_the_event_form_makes_option_groups_and_shows_their_errors_in_place(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    page = await admin.get("/events/new")
    groups = {
        "options.0.group": "Dinner activity",
        "options.1.group": "dinner activity",
        "options.2.name": "Morning",
        "options.2.capacity": "2",
        "options.2.group": "Workshop slot",
        "options.2.group_optional": "on",
    }
    # One group's options disagree on being optional: refused beside the first of them.
    mixed = await admin.post(
        "/events/new",
        data=_event_form(page.text, "Dinner", **groups, **{"options.0.group_optional": "on"}),
    )
    assert mixed.status_code == 422
    assert 'id="f-options-0-group_optional-error"' in mixed.text
    # More places in a group than the event has: the catalogue's reason, shown on the form.
    too_many = await admin.post(
        "/events/new",
        data=_event_form(page.text, "Dinner", **{**groups, "options.2.capacity": "9"}),
    )
    assert too_many.status_code == 422 and "Workshop slot" in too_many.text

    made = await admin.post("/events/new", data=_event_form(page.text, "Dinner", **groups))
    assert made.status_code == 303, made.text
    event_id = made.headers["location"].split("?")[0].rsplit("/", 1)[-1]
    event = await _event(console_system, event_id)
    assert [(g["name"], g["required"], len(g["options"])) for g in event["option_groups"]] == [
        ("Dinner activity", True, 2),
        ("Workshop slot", False, 1),
    ]
    edit = await admin.get(f"/events/{event_id}/edit")
    assert edit.status_code == 200
    assert 'value="Workshop slot"' in edit.text
    assert 'name="options.2.group_optional" checked' in edit.text


async def test_staff_book_someone_in_with_a_choice_in_each_option_group(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    groups = {
        "options.0.group": "Dinner <b>",
        "options.1.group": "Dinner <b>",
        "options.2.name": "Morning slot",
        "options.2.capacity": "2",
        "options.2.group": "Workshop",
        "options.2.group_optional": "on",
    }
    event_url, event_id = await _published(console_system, admin, "Two groups", **groups)
    event = await _event(console_system, event_id)
    options = {o["name"]: o for o in event["options"]}
    dinner = options["Cookery"]["group_id"]
    attendees = await admin.get(f"{event_url}/attendees")
    assert '<label for="f-option-' + dinner + '">Dinner &lt;b&gt;</label>' in attendees.text
    workshop_select = attendees.text.split(f'name="option.{options["Morning slot"]["group_id"]}"')
    assert len(workshop_select) == 2 and '<option value="">none</option>' in workshop_select[1]

    person = {"csrf_token": csrf_of(attendees.text), "name": "Ada", "organisation": "Salford"}
    # The required group left empty: refused beside its own select, nothing booked.
    refused = await admin.post(
        f"{event_url}/attendees",
        data={**person, "email": "ada@example.org", **_chosen(options["Morning slot"])},
    )
    assert refused.status_code == 422
    assert f'id="f-option-{dinner}-error"' in refused.text and "Dinner" in refused.text
    both = await admin.post(
        f"{event_url}/attendees",
        data={
            **person,
            "email": "ada@example.org",
            **_chosen(options["Cookery"]),
            **_chosen(options["Morning slot"]),
        },
    )
    assert both.status_code == 303, both.text
    dinner_only = await admin.post(
        f"{event_url}/attendees",
        data={
            **person,
            "name": "Grace",
            "email": "grace@example.org",
            **_chosen(options["Canal walk"]),
        },
    )
    assert dinner_only.status_code == 303, dinner_only.text
    listing = await admin.get(f"{event_url}/attendees")
    assert "Dinner &lt;b&gt;: Cookery; Workshop: Morning slot" in listing.text
    assert "Dinner &lt;b&gt;: Canal walk</td>" in listing.text


# Last: it takes a service down for the rest of the session.
async def test_a_service_that_is_down_is_named_and_the_rest_keeps_working(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    # Last in this module: it stops services of this module's system.
    console_system.services["notifications"].stop()
    dashboard = await admin.get("/")
    assert dashboard.status_code == 200
    assert "The notifications service is unavailable" in dashboard.text
    assert "Coming events" in dashboard.text and (await admin.get("/events")).status_code == 200

    console_system.services["catalogue"].stop()
    events = await admin.get("/events")
    assert events.status_code == 503 and "The catalogue service is unavailable" in events.text
    staff = await admin.get("/staff")
    assert staff.status_code == 200 and "Programme limits cannot be changed just now" in staff.text
    assert (await admin.get("/audit")).status_code == 200
