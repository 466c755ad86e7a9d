"""What the widget and the manage page are given to show: every session in the event's time
zone, the description, the people leading it, the venue with a safe map link, and "add to
calendar" (the booking's .ics and Google / Outlook links)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from icalendar import Calendar

from services.bookings.process import BookingsProcess
from shared.calendar_invites import session_uid
from shared.contracts import EventSession, EventState, PersonOnEvent, VenueState
from tests.bookings.conftest import event_state, person, put_event

HOSTILE = '<script>alert(1)</script> =?utf-8?b?SGk=?= "quoted" & <b>bold</b>'


def _immersion(**overrides: object) -> EventState:
    day_one = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=40)
    day_two = day_one + timedelta(days=21)
    sessions = [  # given out of order: the answer sorts them
        EventSession(
            session_id=uuid.uuid4(),
            title="Day two",
            starts_at=day_two,
            ends_at=day_two + timedelta(hours=7),
        ),
        EventSession(
            session_id=uuid.uuid4(),
            title="Day one",
            starts_at=day_one,
            ends_at=day_one + timedelta(hours=7),
        ),
    ]
    return event_state(
        title="Immersion " + HOSTILE,
        summary="Two days at the forum.",
        description="First paragraph.\n\nSecond " + HOSTILE,
        timezone="America/New_York",
        starts_at=day_one,
        ends_at=day_two + timedelta(hours=7),
        venue=VenueState(
            name="Salford Innovation Forum",
            address="Frederick Road, Salford",
            accessibility="Step-free entrance on Frederick Road",
            map_url="https://maps.example.org/sif",
        ),
        people=[
            PersonOnEvent(name="Asha Patel", role="facilitator", organisation="Leading GM"),
            PersonOnEvent(name=HOSTILE, role="guest speaker", title="Chief Executive"),
        ],
        **overrides,
    ).model_copy(update={"sessions": sessions})


async def test_the_event_answer_carries_sessions_description_people_and_venue(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, _immersion())
    body = (await client.get(f"/public/events/{state.event_id}")).json()
    assert [s["title"] for s in body["sessions"]] == ["Day one", "Day two"]
    assert body["timezone"] == "America/New_York"
    assert body["description"].endswith(HOSTILE)
    assert [(p["name"], p["role"]) for p in body["people"]] == [
        ("Asha Patel", "facilitator"),
        (HOSTILE, "guest speaker"),
    ]
    assert body["venue"]["accessibility"] == "Step-free entrance on Frederick Road"
    assert body["venue"]["map_url"] == "https://maps.example.org/sif"


async def test_a_map_link_that_is_not_a_web_address_is_dropped(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", "//no-scheme", "  "):
        venue = VenueState(name="Forum", map_url=url)
        state = await put_event(process.db, process.settings, event_state(venue=venue))
        body = (await client.get(f"/public/events/{state.event_id}")).json()
        assert body["venue"]["map_url"] is None, url


async def test_the_manage_answer_has_the_sessions_time_zone_and_calendar_links(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, _immersion())
    who = person(1)
    booked = (await client.post(f"/public/events/{state.event_id}/bookings", json=who)).json()
    managed = (await client.get(f"/public/bookings/{booked['manage_token']}")).json()
    assert managed["timezone"] == "America/New_York"
    assert [s["title"] for s in managed["sessions"]] == ["Day one", "Day two"]
    assert managed["venue"]["name"] == "Salford Innovation Forum"
    calendar = managed["calendar"]
    assert calendar["ics_url"].endswith(f"/public/bookings/{booked['manage_token']}/calendar.ics")
    assert [s["title"] for s in calendar["sessions"]] == ["Day one", "Day two"]
    first = min(state.sessions, key=lambda s: s.starts_at)
    google = parse_qs(urlsplit(calendar["sessions"][0]["google_url"]).query)
    stamp = f"{first.starts_at:%Y%m%dT%H%M%SZ}/{first.ends_at:%Y%m%dT%H%M%SZ}"
    assert (google["text"], google["dates"], google["ctz"]) == (
        ["Day one"],
        [stamp],
        ["America/New_York"],
    )
    outlook = parse_qs(urlsplit(calendar["sessions"][1]["outlook_url"]).query)
    assert outlook["subject"] == ["Day two"]
    assert outlook["location"] == ["Salford Innovation Forum, Frederick Road, Salford"]
    # Third parties get the event, never the booker nor the manage link.
    for links in calendar["sessions"]:
        for url in (links["google_url"], links["outlook_url"]):
            assert who["email"] not in url and booked["manage_token"] not in url


async def test_the_calendar_file_holds_each_session_with_the_emailed_invites_uids(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, _immersion())
    booked = (await client.post(f"/public/events/{state.event_id}/bookings", json=person(2))).json()
    r = await client.get(f"/public/bookings/{booked['manage_token']}/calendar.ics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["cache-control"] == "no-store"
    calendar = Calendar.from_ical(r.text)
    assert calendar["method"] == "PUBLISH"
    entries = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    booking_id = uuid.UUID(booked["booking_id"])
    expected = sorted(state.sessions, key=lambda s: s.starts_at)
    assert [str(e["uid"]) for e in entries] == [
        session_uid(booking_id, s.session_id, "leadinggm.example.org") for s in expected
    ]
    assert [e.decoded("dtstart") for e in entries] == [s.starts_at for s in expected]
    assert str(entries[0].decoded("dtstart").tzinfo) == "America/New_York"
    assert int(entries[0]["sequence"]) == 1 + state.version  # booking v1 + event version
    assert "\r\nSUMMARY:Day one\r\n" in r.text


async def test_no_calendar_for_a_waiting_or_cancelled_booking_and_none_for_a_bad_token(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=1))
    path = f"/public/events/{state.event_id}/bookings"
    first = (await client.post(path, json=person(3))).json()
    waiting = (await client.post(path, json=person(4))).json()
    assert waiting["status"] == "waitlisted"
    r = await client.get(f"/public/bookings/{waiting['manage_token']}/calendar.ics")
    assert (r.status_code, r.json()["code"]) == (409, "not_confirmed")
    assert (await client.get(f"/public/bookings/{waiting['manage_token']}")).json()[
        "calendar"
    ] is None
    await client.post(f"/public/bookings/{first['manage_token']}/cancel")
    r = await client.get(f"/public/bookings/{first['manage_token']}/calendar.ics")
    assert r.status_code == 409
    forged = first["manage_token"][:-4] + "AAAA"
    assert (await client.get(f"/public/bookings/{forged}/calendar.ics")).status_code == 404
    assert (await client.get("/public/bookings/%3Cscript%3E/calendar.ics")).status_code == 404
