"""Every staff route of every service refuses no token, a bad token, an expired token, a token
signed with another key, and the wrong role. Routes are found by walking the apps, so a new
staff route cannot be forgotten."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.bookings.app import create_app as bookings_app
from services.catalogue.app import create_app as catalogue_app
from services.notifications.app import create_app as notifications_app
from tests.conftest import token

pytestmark = pytest.mark.asyncio(loop_scope="session")

APPS = {"catalogue": catalogue_app, "bookings": bookings_app, "notifications": notifications_app}


def guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation whose OpenAPI entry carries the bearer security requirement, with path
    parameters filled in; and a check that nothing under /staff or /ops lacks it."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            guarded = any("HTTPBearer" in req for req in operation.get("security", []))
            if path.startswith(("/staff", "/ops")):
                assert guarded, f"{method.upper()} {path} has no role check"
            if guarded:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)))
    return found


ALL_ROLES = ("staff", "ops")
CASES = {
    "no token": {},
    "not a jwt": {"Authorization": "Bearer not-a-token"},
    "basic auth": {"Authorization": "Basic dXNlcjpwYXNz"},
    "expired": {"Authorization": f"Bearer {token(*ALL_ROLES, ttl=timedelta(seconds=-5))}"},
    "other key": {
        "Authorization": f"Bearer {token(*ALL_ROLES, secret='another-secret-that-is-long-enough')}"
    },
}
# A valid token whose roles open no staff or ops route.
WRONG_ROLE = {"Authorization": f"Bearer {token('nobody')}"}


@pytest.mark.parametrize("service", list(APPS))
async def test_staff_routes_refuse_intruders(service: str) -> None:
    app = APPS[service]()
    routes = guarded_routes(app)
    # Bookings gains its staff routes with the bookings issue; until then it has none.
    assert routes or service == "bookings", f"{service} has no guarded routes to check"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method, path in routes:
            for case, headers in CASES.items():
                answer = await client.request(method, path, headers=headers, json={})
                assert answer.status_code == 401, (service, method, path, case, answer.text)
                assert answer.headers.get("www-authenticate") == "Bearer"
            answer = await client.request(method, path, headers=WRONG_ROLE, json={})
            assert answer.status_code == 403, (service, method, path, answer.text)
