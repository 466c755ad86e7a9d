"""Bad input to the public routes gets a clear 4xx naming the problem, never a 500; and the
operations routes answer on every service."""

from __future__ import annotations

import uuid

import pytest

from services.bookings.app import create_app as bookings_app
from services.catalogue.app import create_app as catalogue_app
from services.notifications.app import create_app as notifications_app
from services.notifications.domain.unsubscribe import sign_unsubscribe
from tests.conftest import running, settings_for, token
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")

STAFF = {"Authorization": f"Bearer {token('staff')}"}
FACTORIES = {
    "catalogue": catalogue_app,
    "bookings": bookings_app,
    "notifications": notifications_app,
}


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_health_ready_metrics_and_docs(service: str, infra: Infra) -> None:
    app = FACTORIES[service](settings_for(service, infra, run_workers=False))
    async with running(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready["checks"]["database"] == "ok"
        metrics = await client.get("/metrics")
        assert "http_requests_total" in metrics.text
        assert (await client.get("/openapi.json")).status_code == 200
        answer = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert answer.headers["x-request-id"] == "abc-123"
        made = (await client.get("/healthz")).headers["x-request-id"]
        assert len(made) == 32


async def test_catalogue_public_bad_input(infra: Infra) -> None:
    app = catalogue_app(settings_for("catalogue", infra, run_workers=False))
    async with running(app) as client:
        assert (await client.get(f"/events/{uuid.uuid4()}")).status_code == 404
        assert (await client.get("/no/such/route")).status_code == 404


async def test_bookings_public_bad_input(infra: Infra) -> None:
    app = bookings_app(settings_for("bookings", infra, run_workers=False))
    good = {"name": "Sam", "email": "sam@example.org", "organisation": "Council"}
    async with running(app) as client:
        unknown = f"/public/events/{uuid.uuid4()}"
        assert (await client.get(unknown)).status_code == 404
        assert (await client.post(f"{unknown}/bookings", json=good)).status_code == 404
        assert (await client.get("/public/events/not-a-uuid")).status_code == 422
        for missing in good:
            body = {k: v for k, v in good.items() if k != missing}
            answer = await client.post(f"{unknown}/bookings", json=body)
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["loc"] == ["body", missing]
        for bad_email in ("not-an-email", "a@", "@example.org", "x" * 250 + "@example.org"):
            answer = await client.post(f"{unknown}/bookings", json={**good, "email": bad_email})
            assert answer.status_code == 422, bad_email
            assert answer.json()["detail"][0]["loc"][:2] == ["body", "email"]
        broken = await client.post(
            f"{unknown}/bookings",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 422
        assert (await client.post(f"{unknown}/bookings", json=[])).status_code == 422


async def test_oversized_bodies_are_refused_with_413(infra: Infra) -> None:
    app = bookings_app(settings_for("bookings", infra, run_workers=False, max_body_bytes=1000))
    url = f"/public/events/{uuid.uuid4()}/bookings"
    big = {"name": "x" * 5000, "email": "a@example.org", "organisation": "o"}
    async with running(app) as client:
        declared = await client.post(url, json=big)
        assert declared.status_code == 413 and declared.json()["code"] == "http_413"

        async def chunks():  # no Content-Length: the limit counts what arrives
            for _ in range(10):
                yield b"x" * 500

        streamed = await client.post(
            url, content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        small = await client.post(url, json={**big, "name": "Sam"})
        assert small.status_code == 404  # under the limit: answered normally


async def test_security_headers_on_every_answer(infra: Infra) -> None:
    app = catalogue_app(settings_for("catalogue", infra, run_workers=False))
    async with running(app) as client:
        answer = await client.get("/healthz")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        docs = await client.get("/docs")  # Swagger UI loads its assets, so no strict policy
        assert docs.status_code == 200 and "content-security-policy" not in docs.headers


async def test_nul_characters_are_refused_with_422_not_500(infra: Infra) -> None:
    app = catalogue_app(settings_for("catalogue", infra, run_workers=False))
    async with running(app) as client:
        query = await client.get("/events", params={"kind": "a\x00b"})
        assert query.status_code == 422 and query.json()["detail"][0]["loc"] == ["query"]
        body = await client.post(
            "/staff/events",
            content=b'{"title": "x\\u0000y"}',
            headers={"content-type": "application/json", **STAFF},
        )
        assert body.status_code == 422 and body.json()["detail"][0]["loc"] == ["body"]
        fine = await client.get("/events", params={"kind": "masterclass"})
        assert fine.status_code == 200


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("bookings", "/book/adaptive-leadership-masterclass"),
        ("bookings", "/manage/not-a-real-token-but-a-page-anyway"),
        ("notifications", "/public/unsubscribe/{token}"),
    ],
)
async def test_every_html_page_gets_a_strict_content_policy(
    infra: Infra, service: str, path: str
) -> None:
    settings = settings_for(service, infra, run_workers=False)
    if "{token}" in path:
        token = sign_unsubscribe(
            settings.unsubscribe_signing_key.get_secret_value(),
            email="reader@example.org",
            campaign_id=None,
        )
        path = path.format(token=token)
    app = FACTORIES[service](settings)
    async with running(app) as client:
        page = await client.get(path)
    assert page.headers["content-type"].startswith("text/html"), (path, page.status_code)
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
