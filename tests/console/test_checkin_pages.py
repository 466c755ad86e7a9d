"""The door pages over HTTP (no script): choose today's session, search, check in and undo by
form, the same forms answered as JSON for the page's queue, walk-ins, the check-in link page,
and every refusal: no session, wrong role, other programme, forged code, bad ids, CSRF."""

from __future__ import annotations

import uuid
from contextlib import aclosing

import httpx
import pytest

from services.bookings.domain.tokens import checkin_token
from services.bookings.settings import BookingsSettings
from tests.console.checkin_support import book, signed_in, today_event
from tests.console.conftest import csrf_of
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")
JSON = {"Accept": "application/json"}


def _code(booking_id: str) -> str:
    key = BookingsSettings().manage_token_key.get_secret_value().encode()
    return checkin_token(key, uuid.UUID(booking_id))


async def test_door_staff_find_check_in_and_undo_without_script(console_system: System) -> None:
    state = await today_event(console_system)
    ada = await book(console_system, state, "Ada <b>Lovelace</b>", "Bolton Council", 1)
    await book(console_system, state, "Grace Hopper", "Salford NHS", 2)
    door = await signed_in(console_system, ["checkin"])
    session = state.sessions[0].session_id
    async with aclosing(door):
        home = await door.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/checkin"
        today = await door.get("/checkin")
        assert today.status_code == 200 and state.title in today.text
        page = await door.get(f"/checkin/{state.event_id}/{session}", params={"q": "bolton"})
        assert page.status_code == 200
        assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page.text and "Grace Hopper" not in page.text
        assert 'id="count-in">0<' in page.text and 'id="count-expected">2<' in page.text

        url = f"/checkin/{state.event_id}/{session}/people/{ada}/in"
        done = await door.post(url, data={"csrf_token": csrf_of(page.text), "q": "bolton"})
        assert done.status_code == 303 and "result=checked_in" in done.headers["location"]
        after = await door.get(done.headers["location"])
        assert "Checked in: Ada &lt;b&gt;" in after.text and 'id="count-in">1<' in after.text

        again = await door.post(url, data={"csrf_token": csrf_of(page.text)}, headers=JSON)
        assert again.status_code == 200 and again.json()["result"] == "already_checked_in"
        undo = f"/checkin/{state.event_id}/{session}/people/{ada}/undo"
        undone = await door.post(undo, data={"csrf_token": csrf_of(page.text)}, headers=JSON)
        assert undone.json()["result"] == "undone" and undone.json()["counts"]["checked_in"] == 0

        polled = await door.get(f"/checkin/{state.event_id}/{session}/register.json")
        assert polled.status_code == 200 and polled.json()["counts"]["expected"] == 2

        forged = await door.post(url, data={"csrf_token": "forged"})
        assert forged.status_code == 403
        polled = await door.get(f"/checkin/{state.event_id}/{session}/register.json")
        assert polled.json()["counts"]["checked_in"] == 0


async def test_walk_in_books_and_checks_in_or_says_why_not(console_system: System) -> None:
    state = await today_event(console_system)
    door = await signed_in(console_system, ["checkin"])
    session = state.sessions[0].session_id
    base = f"/checkin/{state.event_id}/{session}"
    async with aclosing(door):
        page = await door.get(base)
        token = csrf_of(page.text)
        typed = {"csrf_token": token, "name": "Walk In", "organisation": "Wigan"}
        bad = await door.post(base + "/walk-in", data={**typed, "email": "nope"})
        assert bad.status_code == 422 and 'id="f-email-error"' in bad.text
        assert "Walk In" in bad.text  # kept in the form
        email = f"w.{uuid.uuid4().hex[:6]}@example.org"
        body = {**typed, "email": email, "option_id": str(state.options[0].option_id)}
        made = await door.post(base + "/walk-in", data=body)
        assert made.status_code == 303 and "result=walked_in" in made.headers["location"]
        twice = await door.post(base + "/walk-in", data=body)
        assert twice.status_code == 422 and "already" in twice.text
        polled = (await door.get(base + "/register.json")).json()
        assert (polled["counts"]["checked_in"], polled["counts"]["expected"]) == (1, 1)


async def test_check_in_link_shows_the_person_to_door_staff_only(console_system: System) -> None:
    state = await today_event(console_system)
    booking = await book(console_system, state, "Katherine Johnson", "Trafford Council", 1)
    link = f"/checkin/t/{_code(booking)}"
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as visitor:
        r = await visitor.get(link)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        r = await visitor.get(link, follow_redirects=True)
        assert "Katherine" not in r.text and "Trafford" not in r.text
    ops = await signed_in(console_system, ["ops"])
    async with aclosing(ops):
        r = await ops.get(link)
        assert r.status_code == 403 and "Katherine" not in r.text
    elsewhere = await signed_in(console_system, ["checkin"], programmes=[str(uuid.uuid4())])
    async with aclosing(elsewhere):
        r = await elsewhere.get(link)
        assert r.status_code == 404 and "Katherine" not in r.text
    door = await signed_in(console_system, ["checkin"])
    async with aclosing(door):
        page = await door.get(link)
        assert page.status_code == 200 and "Katherine Johnson" in page.text
        assert "Check in" in page.text
        form = {"csrf_token": csrf_of(page.text), "session_id": str(state.sessions[0].session_id)}
        done = await door.post(link, data=form)
        assert done.status_code == 303 and "result=checked_in" in done.headers["location"]
        shown = await door.get(done.headers["location"])
        assert "checked in at" in shown.text
        bad = await door.post(link, data={**form, "session_id": "../../bookings"})
        assert bad.status_code == 303 and "problem=" in bad.headers["location"]
        forged = _code(str(uuid.uuid4()))[:-2] + "AA"
        r = await door.get(f"/checkin/t/{forged}")
        assert r.status_code == 404 and "not valid" in r.text
        r = await door.get("/checkin/t/" + "x" * 101)
        assert r.status_code == 404


async def test_refusals_at_the_door(console_system: System) -> None:
    state = await today_event(console_system)
    later = await today_event(console_system, days_ahead=5)
    ada = await book(console_system, state, "Ada Lovelace", "Bolton Council", 1)
    door = await signed_in(console_system, ["checkin"])
    session = state.sessions[0].session_id
    async with aclosing(door):
        page = await door.get(f"/checkin/{state.event_id}/{session}")
        token = csrf_of(page.text)
        other = f"/checkin/{later.event_id}/{later.sessions[0].session_id}/people/{ada}/in"
        r = await door.post(other, data={"csrf_token": token}, headers=JSON)
        assert r.status_code == 409 and r.json()["code"] == "not_today"
        r = await door.post(other, data={"csrf_token": token})
        assert r.status_code == 303 and "problem=not_today" in r.headers["location"]
        shown = await door.get(r.headers["location"])
        assert "opens on its day" in shown.text
        wrong = f"/checkin/{state.event_id}/{later.sessions[0].session_id}/people/{ada}/in"
        r = await door.post(wrong, data={"csrf_token": token}, headers=JSON)
        assert r.status_code == 404 and r.json()["code"] == "session_not_found"
        r = await door.get(f"/checkin/not-an-id/{session}")
        assert r.status_code == 404
        r = await door.get(f"/checkin/{state.event_id}/{session}", params={"q": "x" * 201})
        assert r.status_code == 404
        scan = f"/checkin/{state.event_id}/{session}/code"
        r = await door.post(scan, data={"csrf_token": token, "code": "../../x"}, headers=JSON)
        assert r.status_code == 404
        r = await door.post(scan, data={"csrf_token": token, "code": _code(ada)}, headers=JSON)
        assert r.status_code == 200 and r.json()["result"] == "checked_in"
        polled = (await door.get(f"/checkin/{state.event_id}/{session}/register.json")).json()
        assert polled["counts"]["checked_in"] == 1
