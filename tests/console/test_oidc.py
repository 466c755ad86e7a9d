"""OpenID Connect sign-in against a real provider process (oidc-provider-mock): the groups
claim gives the console role, an unmapped group is refused, and a callback with a state this
browser did not start is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.support.processes import ROOT, free_port
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROVIDER_PORT = free_port()
ISSUER = f"http://127.0.0.1:{PROVIDER_PORT}"
USERS = [
    {
        "sub": "oidc-olu",
        "email": "olu@example.org",
        "name": "Olu Staff",
        "groups": ["programme-staff", "everyone"],
    },
    {"sub": "oidc-visitor", "email": "visitor@example.org", "name": "Vis", "groups": ["everyone"]},
]
# Read by the console_system fixture: the console under test trusts this provider.
CONSOLE_ENV = {
    "OIDC_ISSUER": ISSUER,
    "OIDC_CLIENT_ID": "staff-console",
    "OIDC_CLIENT_SECRET": "console-test-secret",
    "OIDC_ROLE_MAP": json.dumps({"programme-staff": "staff"}),
}


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def provider() -> AsyncIterator[str]:
    command = [
        sys.executable,
        "-m",
        "oidc_provider_mock",
        "-p",
        str(PROVIDER_PORT),
        "--require-nonce",
        "true",
    ]
    for user in USERS:
        command += ["--user-claims", json.dumps(user)]
    log = (ROOT / "test-artifacts").joinpath(f"oidc-{PROVIDER_PORT}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    process = _start(command, log)

    async def serving() -> bool:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"{ISSUER}/.well-known/openid-configuration", timeout=1)
                return r.status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await wait_for(serving, timeout=30, interval=0.2, message="OIDC provider serving")
        yield ISSUER
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _through_provider(client: httpx.AsyncClient, subject: str) -> httpx.Response:
    start = await client.get("/signin/oidc")
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(ISSUER) and "code_challenge=" in authorize
    async with httpx.AsyncClient() as browser_at_provider:
        chosen = await browser_at_provider.post(authorize, data={"sub": subject})
    assert chosen.status_code in (302, 303), chosen.text
    callback = urlsplit(chosen.headers["location"])
    return await client.get(f"{callback.path}?{callback.query}")


async def test_a_provider_group_signs_in_with_its_role(
    provider: str, console_system: System, admin: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        signin_page = await client.get("/signin")
        assert "Sign in with" in signin_page.text
        done = await _through_provider(client, "oidc-olu")
        assert done.status_code == 303, done.text
        home = await client.get("/")
        assert home.status_code == 200 and "Olu Staff" in home.text
        assert (await client.get("/events")).status_code in (200, 503)  # staff role
        assert (await client.get("/staff")).status_code == 403  # not admin
    staff = await admin.get("/staff")
    assert "olu@example.org" in staff.text and "organisation account" in staff.text


async def test_a_group_without_a_console_role_is_refused(
    provider: str, console_system: System
) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        refused = await _through_provider(client, "oidc-visitor")
        assert refused.status_code == 403 and "no console role" in refused.text
        assert (await client.get("/")).status_code == 303


async def test_a_callback_from_another_browser_is_refused(
    provider: str, console_system: System
) -> None:
    url = console_system.url("console")
    async with (
        httpx.AsyncClient(base_url=url, timeout=20) as victim,
        httpx.AsyncClient(base_url=url, timeout=20) as attacker,
    ):
        start = await attacker.get("/signin/oidc")
        async with httpx.AsyncClient() as at_provider:
            chosen = await at_provider.post(start.headers["location"], data={"sub": "oidc-olu"})
        callback = urlsplit(chosen.headers["location"])
        assert parse_qs(callback.query)["code"]
        # The attacker's code and state, delivered to someone else's browser (login CSRF).
        answer = await victim.get(f"{callback.path}?{callback.query}")
        assert answer.status_code == 400
        assert (await victim.get("/")).status_code == 303
