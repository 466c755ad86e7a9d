"""Fixtures for the browser tests: Debian's Chromium driven by Playwright (async API, one
browser per session, a fresh context and page per test), the demo partner site as its own
process on its own origin, and events published through the catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from services.bookings.handlers import apply_event_state
from services.bookings.settings import BookingsSettings
from shared.contracts import EventOption, EventState
from shared.db import Database, make_engine
from tests.conftest import token
from tests.support.processes import ROOT, free_port
from tests.support.system import System
from tests.support.waiting import wait_for

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "test-artifacts" / "browser"
STAFF = {"Authorization": f"Bearer {token('staff')}"}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install --no-install-recommends chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Tab:
    """A page plus everything it complained about."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def script_errors(self) -> list[str]:
        """Console errors other than the browser's own note of a refused HTTP answer (which
        a test that provokes a 403 or 422 expects)."""
        return self.page_errors + [
            e for e in self.console_errors if "the server responded with a status of" not in e
        ]

    async def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def open_tab(browser: Browser) -> tuple[BrowserContext, Tab]:
    context = await browser.new_context(viewport={"width": 900, "height": 900}, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    tab = Tab(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
    return context, tab


@pytest_asyncio.fixture(loop_scope="session")
async def tab(browser: Browser) -> AsyncIterator[Tab]:
    context, made = await open_tab(browser)
    try:
        yield made
    finally:
        await context.close()


@dataclass
class PartnerSite:
    port: int

    def url(self, *events: str, partner: str, host: str = "127.0.0.1", **extra: str) -> str:
        query = urlencode([("event", e) for e in events] + [("partner", partner), *extra.items()])
        return f"http://{host}:{self.port}/embed?{query}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _start_partner_site(system: System, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "devtools.partner_site", "--port", str(port)]
    command += ["--bookings-url", system.url("bookings")]
    # It registers its demo partner in this system's bookings database, as `make run` does.
    env = {**os.environ, "BOOKINGS_DATABASE_URL": system.infra.database_urls["bookings"]}
    with (system.logs / "partner_site.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def partner_site(system: System) -> AsyncIterator[PartnerSite]:
    """The demo partner site on its own port (so its own origin), pointed at this system."""
    port = free_port()
    process = _start_partner_site(system, port)

    async def serving() -> bool:
        if process.poll() is not None:
            raise AssertionError("the partner site exited")
        try:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"http://127.0.0.1:{port}/partner.css", timeout=1)
                return r.status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await wait_for(serving, timeout=15, interval=0.1, message="partner site serving")
        yield PartnerSite(port)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def partner_key(system: System, partner_site: PartnerSite) -> str:
    """A partner registered by staff for the partner site's origin (and only that spelling)."""
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{system.url('bookings')}/staff/partners",
            json={"name": "Trafford Council", "allowed_origins": [partner_site.origin]},
            headers=STAFF,
        )
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def publish_event(
    system: System, *, capacity: int, title: str, slug: str | None = None, **extra: Any
) -> tuple[str, str]:
    """An event created and published in the catalogue, once bookings has its replica: (id,
    slug)."""
    starts = datetime(2031, 3, 4, 9, 30, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 300)
    slug = slug or f"widget-{uuid.uuid4().hex[:10]}"
    body = {
        "title": title,
        "slug": slug,
        "kind": "masterclass",
        "summary": "A morning on leading when there is no ready answer.",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "capacity": capacity,
        **extra,
    }
    catalogue = system.url("catalogue")
    async with httpx.AsyncClient(timeout=10) as client:
        created = await client.post(f"{catalogue}/staff/events", json=body, headers=STAFF)
        assert created.status_code == 201, created.text
        event_id = str(created.json()["id"])
        published = await client.post(f"{catalogue}/staff/events/{event_id}/publish", headers=STAFF)
        assert published.status_code == 200, published.text

        async def replicated() -> bool:
            r = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
            return r.status_code == 200

        await wait_for(replicated, timeout=15, message="event replicated to bookings")
    return event_id, slug


async def put_event_with_options(system: System, options: dict[str, int]) -> str:
    """An event with options (the catalogue on this branch has none yet), applied to bookings'
    replica through the consumer's own use case, as a catalogue message would be."""
    starts = datetime(2031, 6, 12, 17, 0, tzinfo=UTC)
    state = EventState(
        event_id=uuid.uuid4(),
        version=1,
        title="Dinner with a Difference",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        capacity=sum(options.values()),
        options=[
            EventOption(option_id=uuid.uuid4(), name=n, capacity=c) for n, c in options.items()
        ],
    )
    settings = BookingsSettings(database_url=system.infra.database_urls["bookings"])
    db = Database(make_engine(settings.database_url, pool_size=1), producer="bookings")
    try:
        async with db.unit_of_work() as uow:
            await apply_event_state(state, uow, settings)
            await uow.commit()
    finally:
        await db.dispose()
    return str(state.event_id)
