"""Sign-in with a local account: sessions, sign-out, idle timeout, throttling, CSRF."""

from __future__ import annotations

import httpx
import pytest

from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_of, sign_in
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_visitor_is_sent_to_sign_in(console_system: System) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        answer = await client.get("/events?status=draft")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fevents%3Fstatus%3Ddraft"


async def test_signing_in_sets_a_server_side_session_and_signing_out_ends_it(
    console_system: System,
) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        answer = await sign_in(client, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert "console_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # test mode runs on http; production sets it
        stolen = client.cookies["console_session"]
        dashboard = await client.get("/")
        assert dashboard.status_code == 200 and "Dashboard" in dashboard.text
        out = await client.post("/signout", data={"csrf_token": csrf_of(dashboard.text)})
        assert out.status_code == 303
    # The cookie's value no longer opens anything: the session ended on the server.
    async with httpx.AsyncClient(
        base_url=console_system.url("console"), cookies={"console_session": stolen}
    ) as replay:
        assert (await replay.get("/")).status_code == 303


async def test_a_wrong_password_is_refused_without_saying_which_part(
    console_system: System,
) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        wrong = await sign_in(client, ADMIN_EMAIL, "not the password")
        unknown = await sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text and "do not match" in unknown.text
    assert "console_session" not in wrong.headers.get("set-cookie", "")


async def test_a_forged_or_missing_csrf_token_is_refused(console_system: System) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        await client.get("/signin")
        form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        missing = await client.post("/signin", data=form)
        forged = await client.post("/signin", data={**form, "csrf_token": "forged"})
    assert missing.status_code == forged.status_code == 403
    assert "console_session" not in forged.headers.get("set-cookie", "")


async def test_a_next_address_never_leaves_the_console(console_system: System) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console")) as client:
        page = await client.get("/signin?next=//evil.example/x")
        answer = await client.post(
            "/signin",
            data={
                "email": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD,
                "csrf_token": csrf_of(page.text),
                "next": "https://evil.example/",
            },
        )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
