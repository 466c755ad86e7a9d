"""The whole system for end-to-end and fault tests: the three services as separate OS
processes on their own vhost and databases, with a real SMTP server in the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.infra import Infra, create_infra, drop_infra
from tests.support.processes import ROOT, ServiceProcess
from tests.support.smtp import SmtpSink
from tests.support.staff_keys import SIGNING_KEY

ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class System:
    infra: Infra
    smtp: SmtpSink
    services: dict[str, ServiceProcess]
    logs: Path

    def url(self, service: str) -> str:
        return self.services[service].url

    def start(self, service: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(service, {}, self.logs / f"{service}.log")
        if service == "console":
            # Its OpenID Connect redirect address names its own port.
            process.env["PUBLIC_BASE_URL"] = process.url
        process.env.update({**self.base_env(service), **env})
        process.start()
        self.services[service] = process
        return process

    def base_env(self, service: str) -> dict[str, str]:
        env = self.infra.env_for(service)
        env.update(
            RETRY_DELAYS="[0.2, 0.5, 1]",
            OUTBOX_POLL_INTERVAL="0.2",
            SMTP_PORT=str(self.smtp.port),
            # The suite's systems share one PostgreSQL with the session's own engines, and
            # CI's has the default max_connections of 100: three services at their default
            # pools could take 76 at once ("too many clients" failed the SIGTERM test on a busy
            # machine). At 4 + 4 a system needs at most 40 (deploy/SCALING.md has the sums).
            DATABASE_POOL_SIZE="4",
            DATABASE_MAX_OVERFLOW="4",
        )
        if service == "console":
            # It signs staff tokens with this session's key; the services hold the public key.
            env["STAFF_TOKEN_SIGNING_KEY"] = SIGNING_KEY
            # The console is a client of the three services' staff APIs, over HTTP.
            for name in ("catalogue", "bookings", "notifications"):
                env[f"{name.upper()}_URL"] = self.url(name)
        if service == "bookings":
            env["PUBLIC_BASE_URL"] = "http://bookings.test.invalid"
            # Load and fault tests book from one address; rate limiting has tests of its own.
            env["RATE_LIMIT_ENABLED"] = "false"
        if service == "notifications":
            # Most campaign tests invite made-up addresses; tests/privacy checks the rule itself.
            env["CAMPAIGN_CONTACT_REASON_REQUIRED"] = "false"
        return env

    def stop_all(self) -> None:
        for process in self.services.values():
            process.stop()


@asynccontextmanager
async def running_system(
    name: str, *, amqp_url: str | None = None, console: bool = False, **console_env: str
) -> AsyncIterator[System]:
    """The three services (and, with `console`, the staff console pointed at them)."""
    infra = await create_infra()
    if amqp_url:
        infra.amqp_url = amqp_url
    smtp = await SmtpSink().start()
    logs = ARTIFACTS / f"{name}-{infra.tag}"
    made = System(infra, smtp, {}, logs)
    try:
        for service in ("catalogue", "bookings", "notifications"):
            made.start(service)
        for process in made.services.values():
            await process.wait_ready(timeout=90)
        if console:
            await made.start("console", **console_env).wait_ready(timeout=90)
        yield made
    finally:
        made.stop_all()
        await smtp.stop()
        await drop_infra(infra)
