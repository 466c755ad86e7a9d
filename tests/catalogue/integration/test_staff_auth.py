"""Every route but a short public list refuses a missing, bad or expired token (401) and a
token without the staff role (403; for the ops API, without the ops or admin role). Routes are
found by walking the app, so a new staff route is covered the moment it exists, and a new
public one must be listed here on purpose."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from services.catalogue.app import create_app
from tests.conftest import token
from tests.support.staff_keys import OTHER_SIGNING_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")

PUBLIC = {
    ("GET", "/events"),
    ("GET", "/events/{id_or_slug}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def all_routes() -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(create_app().routes):
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return sorted(found)


PROTECTED = [r for r in all_routes() if r not in PUBLIC]

BAD_TOKENS = {
    "no token": None,
    "not a jwt": "Bearer not-a-token",
    "wrong secret": f"Bearer {token('staff', key=OTHER_SIGNING_KEY)}",
    "expired": f"Bearer {token('staff', ttl=timedelta(seconds=-60))}",
    "basic scheme": "Basic c3RhZmY6c3RhZmY=",
}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def test_the_walk_finds_the_staff_routes() -> None:
    # Guards the walk itself: if it found nothing, every check below would pass vacuously.
    assert len(PROTECTED) >= 30
    assert ("POST", "/staff/cohorts/{cohort_id}/roster") in PROTECTED
    assert ("GET", "/ops/parked") in PROTECTED
    assert all(path.startswith(("/staff/", "/ops/")) for _, path in PROTECTED)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_refused_without_a_good_staff_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    url = concrete(path)
    for label, header in BAD_TOKENS.items():
        headers = {"Authorization": header} if header else {}
        response = await client.request(method, url, headers=headers)
        assert response.status_code == 401, (label, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
    # The other role: staff routes refuse an ops token, ops routes (shared/ops_api.py) a staff one.
    other = "staff" if path.startswith("/ops/") else "ops"
    response = await client.request(
        method, url, headers={"Authorization": f"Bearer {token(other)}"}
    )
    assert response.status_code == 403, response.text


async def test_public_routes_need_no_token(client: httpx.AsyncClient) -> None:
    for method, path in sorted(PUBLIC):
        response = await client.request(method, concrete(path))
        assert response.status_code in (200, 404), (path, response.status_code)
