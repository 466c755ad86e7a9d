"""Every console route, found from the app's router: a visitor is sent to sign in, a session
of the wrong role is refused, and every change refuses a forged or missing CSRF token."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from services.console.app import create_app
from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from shared.db import Database, make_engine
from tests.console.conftest import sign_in
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")
PUBLIC = {
    "/signin",
    "/signin/oidc",
    "/signin/oidc/callback",
    "/healthz",
    "/readyz",
    "/metrics",
    # A person's export download: its signed link is the key (tests/privacy walks it).
    "/privacy/download/{request_id}",
}


def _routes(routes: list[Any]) -> list[Any]:
    found = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _routes(route.original_router.routes)
        elif hasattr(route, "methods") and hasattr(route, "dependencies"):
            found.append(route)
    return found


def console_routes() -> list[tuple[str, str, frozenset[str]]]:
    """(method, path with ids filled in, roles that open it) for every page and form."""
    walked = []
    for route in _routes(create_app().routes):
        if route.path in PUBLIC:
            continue
        if route.path.startswith(("/ops/", "/api/")):
            # The bearer-token ops API every app serves (shared/ops_api.py), not a session page:
            # its role check is the token's, walked on the three services by test_staff_auth;
            # the privacy API's by tests/privacy/test_privacy_api.py.
            continue
        needed = [
            d.dependency.needed_roles
            for d in route.dependencies
            if hasattr(d.dependency, "needed_roles")
        ]
        assert needed, f"{route.path} has no role check"
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            walked.append((method, path, needed[0]))
    return walked


ROUTES = console_routes()


@pytest.mark.filterwarnings("ignore::pytest.PytestWarning")
def test_the_walk_finds_the_pages() -> None:
    paths = {p for _, p, _ in ROUTES}
    assert len(ROUTES) > 30 and "/" in paths and any(p.startswith("/staff/") for p in paths)
    assert "/operations" in paths and any(p.endswith("/resync") for p in paths)


async def _checkin_client(system: System) -> httpx.AsyncClient:
    db = Database(make_engine(system.infra.database_urls["console"], pool_size=1), producer="t")
    email = f"door-{uuid.uuid4().hex[:6]}@example.org"
    try:
        async with db.unit_of_work() as uow:
            await accounts.create(
                uow,
                email=email,
                name="Door",
                roles=["checkin"],
                password_hash=hash_password("door staff password"),
            )
            await uow.commit()
    finally:
        await db.dispose()
    client = httpx.AsyncClient(base_url=system.url("console"), timeout=20)
    assert (await sign_in(client, email, "door staff password")).status_code == 303
    return client


async def test_every_route_refuses_intruders(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    door = await _checkin_client(console_system)
    problems = []
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as visitor:
        for method, path, needed in ROUTES:
            answer = await visitor.request(method, path, data={"csrf_token": "x"})
            if answer.status_code != 303 or not answer.headers["location"].startswith("/signin"):
                problems.append(f"visitor {method} {path}: {answer.status_code}")
            if "checkin" not in needed:
                answer = await door.request(method, path, data={})
                if answer.status_code != 403:
                    problems.append(f"checkin {method} {path}: {answer.status_code}")
            if method == "POST" and path != "/signout":
                for form in ({"csrf_token": "forged"}, {}):
                    answer = await admin.request(method, path, data=form)
                    if answer.status_code != 403 or "Form expired" not in answer.text:
                        problems.append(f"csrf {form} {method} {path}: {answer.status_code}")
        forged_signout = await door.post("/signout", data={"csrf_token": "forged"})
        if forged_signout.status_code != 403:
            problems.append(f"csrf POST /signout: {forged_signout.status_code}")
    await door.aclose()
    assert not problems, "\n".join(problems)
