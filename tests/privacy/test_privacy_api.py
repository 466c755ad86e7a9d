"""The privacy routes refuse intruders and bad input: the admin API (no token, a forged or
expired token, each other role, a programme-limited admin), fields named in every 422, an
unknown request 404, and nothing written by a refused request; the page shows its errors next
to the field. The console runs in-process on this session's database and vhost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.console.app import create_app
from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from services.console.privacy.expiry import drop_expired
from services.console.settings import ConsoleSettings
from services.console.usecases.staff_accounts import ensure_demo_admin
from shared.db import Database, make_engine
from tests.conftest import running, token
from tests.console.conftest import csrf_of, sign_in
from tests.support.infra import Infra
from tests.support.staff_keys import OTHER_SIGNING_KEY, PUBLIC_KEY, SIGNING_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")
ADMIN = {"Authorization": f"Bearer {token('admin')}"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = ConsoleSettings(
        environment="test",
        database_url=infra.database_urls["console"],
        amqp_url=infra.amqp_url,
        staff_token_public_key=PUBLIC_KEY,
        staff_token_signing_key=SIGNING_KEY,
        outbox_poll_interval=0.2,
    )
    db = Database(make_engine(settings.database_url, pool_size=1), producer="t")
    await ensure_demo_admin(db, email="privacy-admin@example.org", password="privacy-admin-pw")
    await db.dispose()
    async with running(create_app(settings)) as client:
        yield client


async def _requests(infra: Infra) -> int:
    url = infra.database_urls["console"].replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM privacy_requests"))
    finally:
        await connection.close()


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


INTRUDERS = {
    "no token": {},
    "not a token": _bearer("not-a-jwt"),
    "forged": _bearer(token("admin", key=OTHER_SIGNING_KEY)),
    "expired": _bearer(token("admin", ttl=timedelta(seconds=-60))),
    "staff": _bearer(token("staff")),
    "ops": _bearer(token("ops")),
    "checkin": _bearer(token("checkin")),
}


async def test_every_privacy_api_route_refuses_intruders(
    console: httpx.AsyncClient, infra: Infra
) -> None:
    before = await _requests(infra)
    body = {"email": "someone@example.org", "kind": "erasure"}
    unknown = f"/api/privacy/requests/{uuid.uuid4()}"
    problems = []
    for who, headers in INTRUDERS.items():
        expected = 401 if who in ("no token", "not a token", "forged", "expired") else 403
        for method, path in (("POST", "/api/privacy/requests"), ("GET", unknown)):
            answer = await console.request(
                method, path, json=body if method == "POST" else None, headers=headers
            )
            if answer.status_code != expected:
                problems.append(f"{who} {method} {path}: {answer.status_code}")
    limited = _bearer(token("admin", programmes=[str(uuid.uuid4())]))
    for method, path in (("POST", "/api/privacy/requests"), ("GET", unknown)):
        answer = await console.request(
            method, path, json=body if method == "POST" else None, headers=limited
        )
        if answer.status_code != 403 or "every programme" not in answer.text:
            problems.append(f"programme-limited admin {method}: {answer.status_code}")
    assert not problems, "\n".join(problems)
    assert await _requests(infra) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{}", "email"),
        (b'{"email": "someone@example.org"}', "kind"),
        (b'{"email": "not an address", "kind": "export"}', "email"),
        (b'{"email": "someone@example.test", "kind": "export"}', "email"),
        (b'{"email": "zo\\u00eb@example.org", "kind": "export"}', "email"),
        (b'{"email": "' + b"a" * 600 + b'@example.org", "kind": "export"}', "email"),
        (b'{"email": "someone@example.org", "kind": "delete"}', "kind"),
        (b'{"email": ["someone@example.org"], "kind": "export"}', "email"),
        (b'{"email": "someone@example.org", "kind": "export", "who": "x"}', "who"),
        (b"not json", "_"),
        (b"", "_"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    console: httpx.AsyncClient, infra: Infra, body: bytes, field: str
) -> None:
    before = await _requests(infra)
    answer = await console.post(
        "/api/privacy/requests",
        content=body,
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    fields = answer.json()["fields"]
    assert any(key == field or key.startswith(field) for key in fields) or field == "_", fields
    assert await _requests(infra) == before


async def test_an_unknown_or_malformed_request_id_is_404(console: httpx.AsyncClient) -> None:
    for path in (f"/api/privacy/requests/{uuid.uuid4()}", "/api/privacy/requests/not-an-id"):
        answer = await console.get(path, headers=ADMIN)
        assert answer.status_code == 404, answer.text


async def test_a_good_request_answers_202_with_every_service_waiting(
    console: httpx.AsyncClient, infra: Infra
) -> None:
    before = await _requests(infra)
    answer = await console.post(
        "/api/privacy/requests",
        json={"email": "Someone@Example.org", "kind": "export"},
        headers=ADMIN,
    )
    assert answer.status_code == 202, answer.text
    found = answer.json()
    assert found["services"] == {"catalogue": None, "bookings": None, "notifications": None}
    assert found["completed_at"] is None and found["kind"] == "export"
    again = await console.get(f"/api/privacy/requests/{found['id']}", headers=ADMIN)
    assert again.json()["id"] == found["id"]
    assert await _requests(infra) == before + 1


async def test_the_page_shows_bad_input_next_to_its_field(console: httpx.AsyncClient) -> None:
    assert (
        await sign_in(console, "privacy-admin@example.org", "privacy-admin-pw")
    ).status_code == 303
    page = await console.get("/privacy")
    assert page.status_code == 200
    hostile = '<script>alert(1)</script>"@example.org'
    answer = await console.post(
        "/privacy/requests",
        data={"email": hostile, "kind": "wipe", "csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 422
    assert 'id="f-email-error"' in answer.text and 'id="f-kind-error"' in answer.text
    assert "<script>alert(1)" not in answer.text  # escaped where it is shown back


async def test_an_expired_exports_archive_and_address_are_dropped(
    console: httpx.AsyncClient, infra: Infra
) -> None:
    made = await console.post(
        "/api/privacy/requests",
        json={"email": f"expiring-{uuid.uuid4().hex[:6]}@example.org", "kind": "export"},
        headers=ADMIN,
    )
    request_id = uuid.UUID(made.json()["id"])
    url = infra.database_urls["console"]
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(plain)
    db = Database(make_engine(url, pool_size=1), producer="t")
    try:
        await connection.execute(
            "UPDATE privacy_requests SET archive = '{\"services\": {}}', "
            "expires_at = now() + interval '1 day' WHERE id = $1",
            request_id,
        )
        now = datetime.now(UTC)
        await drop_expired(db, now)  # not expired yet: kept
        row = await connection.fetchrow(
            "SELECT archive, email FROM privacy_requests WHERE id = $1", request_id
        )
        assert row["archive"] is not None and row["email"]
        await drop_expired(db, now + timedelta(days=2))  # the injected clock, past the expiry
        row = await connection.fetchrow(
            "SELECT archive, email FROM privacy_requests WHERE id = $1", request_id
        )
        assert row["archive"] is None and row["email"] is None
    finally:
        await connection.close()
        await db.dispose()


async def test_an_admin_limited_to_a_programme_cannot_open_the_privacy_pages(
    console: httpx.AsyncClient, infra: Infra
) -> None:
    db = Database(make_engine(infra.database_urls["console"], pool_size=1), producer="t")
    email = f"limited-{uuid.uuid4().hex[:6]}@example.org"
    try:
        async with db.unit_of_work() as uow:
            await accounts.create(
                uow,
                email=email,
                name="Limited Admin",
                roles=["admin"],
                programmes=[str(uuid.uuid4())],
                password_hash=hash_password("limited admin password"),
            )
            await uow.commit()
    finally:
        await db.dispose()
    transport = console._transport  # the same app, a browser of its own
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as limited:
        assert (await sign_in(limited, email, "limited admin password")).status_code == 303
        page = await limited.get("/privacy")
        assert page.status_code == 403
        # A console page of its own (the staff accounts): it carries the session's form token.
        seen = await limited.get("/staff")
        csrf = csrf_of(seen.text)
        asked = await limited.post(
            "/privacy/requests",
            data={"email": "someone@example.org", "kind": "export", "csrf_token": csrf},
        )
        assert asked.status_code == 403
        for path in ("/privacy", f"/privacy/requests/{uuid.uuid4()}"):
            assert (await limited.get(path)).status_code == 403
