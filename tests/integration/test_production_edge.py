"""What a production-mode service shows the public: no API pages, and metrics only on their
own port (which the Ingress never routes, see tests/unit/test_deploy_k8s.py)."""

from __future__ import annotations

import importlib
import secrets

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.processes import free_port
from tests.support.waiting import wait_for

SERVICES = ["catalogue", "bookings", "notifications"]


def production(service: str, infra: Infra, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"environment": "production", "run_workers": False}
    probe = settings_for(service, infra)
    for name, field in type(probe).model_fields.items():
        if field.annotation is SecretStr:
            values[name] = secrets.token_urlsafe(48)
        if "public" in name and name.endswith("_url"):
            values[name] = f"https://{name.replace('_', '-')}.leadinggm.example.org"
    return settings_for(service, infra, **{**values, **overrides})


def app_of(service: str, settings: object):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"services.{service}.app").create_app(settings)


@pytest.mark.parametrize("service", SERVICES)
async def test_production_serves_no_api_pages_and_no_metrics_route(
    infra: Infra, service: str
) -> None:
    app = app_of(service, production(service, infra, metrics_port=free_port()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/metrics"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("service", SERVICES)
async def test_test_mode_keeps_the_api_pages_for_the_fuzzers(infra: Infra, service: str) -> None:
    app = app_of(service, settings_for(service, infra))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/openapi.json")).json()["paths"]
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200


async def test_production_metrics_are_served_on_their_own_port(infra: Infra) -> None:
    port = free_port()
    app = app_of("bookings", production("bookings", infra, metrics_port=port))
    async with app.router.lifespan_context(app), httpx.AsyncClient() as scraper:

        async def scraped() -> str | None:
            try:
                r = await scraper.get(f"http://127.0.0.1:{port}/metrics")
            except httpx.TransportError:
                return None
            return r.text if r.status_code == 200 else None

        text = await wait_for(scraped, timeout=30)
        assert "http_requests_total" in text or "python_info" in text
    # Stopped with the service: the port is free again.
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient() as late:
            await late.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
