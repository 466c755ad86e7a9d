"""The bench's own stage: a fresh database and RabbitMQ vhost, the hot event in the replica,
the bookings service as a production server, and everything removed afterwards."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aio_pika
import asyncpg
import httpx

from services.bookings.settings import BookingsSettings
from shared.auth import generate_keypair
from shared.contracts import EventOption, EventState, OptionGroup
from shared.db import Database, make_engine
from shared.messaging.declare import declare_all
from shared.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@dataclass
class Stage:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    log_dir: Path = ROOT / "var" / "bench" / "hot_event"
    queues: list[str] = field(default_factory=list)

    @property
    def database(self) -> str:
        return f"bench_hot_{self.tag}"

    @property
    def vhost(self) -> str:
        return f"bench-hot-{self.tag}"

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://postgres@{HOST}:5432/{self.database}"

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@{HOST}:5672/{quote(self.vhost, safe='')}"

    def env(self) -> dict[str, str]:
        """Production mode, so production's checks and defaults apply (no dev secrets)."""
        return {
            "ENVIRONMENT": "production",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": self.database_url,
            "AMQP_URL": self.amqp_url,
            # The bench calls no staff route; production mode still needs a key to check with.
            "STAFF_TOKEN_PUBLIC_KEY": generate_keypair()[1],
            "INVITATION_SIGNING_KEY": secrets.token_urlsafe(32),
            "MANAGE_TOKEN_KEY": secrets.token_urlsafe(32),
            "PRIVACY_HASH_KEY": secrets.token_urlsafe(32),
            "PUBLIC_BASE_URL": "https://bookings.example.org",
            "CONSOLE_PUBLIC_URL": "https://console.example.org",
            # 5,000 different people arrive from many addresses; wrk sends them all from one,
            # which the per-client rate limit would (rightly) refuse.
            "RATE_LIMIT_ENABLED": "false",
        }

    async def build(self) -> None:
        await migrate("bookings", self.database_url)
        await asyncio.to_thread(rabbitmqctl, "add_vhost", self.vhost)
        await asyncio.to_thread(
            rabbitmqctl, "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"
        )
        # Every queue of the system, so bookings' messages are routed and stored as in
        # production (notifications' queue holds them; nobody consumes them here).
        self.queues = await declare_all(
            BookingsSettings(amqp_url=self.amqp_url, database_url=self.database_url)
        )

    async def add_event(
        self, *, capacity: int, title: str, groups: Sequence[Group] = ()
    ) -> EventState:
        """An event in the bookings replica; with `groups` ((name, required, [(option,
        places), ...]) each), an event of option groups."""
        from services.bookings.handlers import apply_event_state

        settings = BookingsSettings(database_url=self.database_url)
        db = Database(make_engine(self.database_url), producer="bench")
        starts = datetime.now(UTC) + timedelta(days=30)
        option_groups, options = [], []
        for name, required, group_options in groups:
            group = OptionGroup(group_id=uuid.uuid4(), name=name, required=required)
            option_groups.append(group)
            options += [
                EventOption(option_id=uuid.uuid4(), name=n, capacity=c, group_id=group.group_id)
                for n, c in group_options
            ]
        state = EventState(
            event_id=uuid.uuid4(),
            version=1,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=capacity,
            option_groups=option_groups,
            options=options,
        )
        try:
            async with db.unit_of_work() as uow:
                await apply_event_state(state, uow, settings)
                await uow.commit()
        finally:
            await db.dispose()
        return state

    async def purge_queues(self) -> None:
        """Empty the queues bookings' messages are routed to, so a rush does not start with
        the one before's messages stored in the broker (which takes CPU the rush would
        otherwise get). Over AMQP: one rabbitmqctl call per queue took seconds each on a
        busy machine."""
        connection = await aio_pika.connect(self.amqp_url)
        try:
            channel = await connection.channel()
            for name in self.queues:
                await (await channel.get_queue(name, ensure=False)).purge()
        finally:
            await connection.close()

    async def tidy_like_autovacuum(self, statement: str = "VACUUM (ANALYZE)") -> bool:
        """`statement` on the bench database when the server's autovacuum is off (as on this
        machine's), as autovacuum would have run it after a rush: without it each size's plans
        and pages were those the sizes before it left (the session's first commit too: 0.22 ms
        of PostgreSQL CPU per booking at 1,000 people, 0.62 ms at 10,000 after them, 0.12 ms
        at 10,000 alone), and the probe after a rush was planned with statistics from before
        it (4.6 ms per booking at 100,000). Whether it ran: the report says so."""
        conn = await asyncpg.connect(host=HOST, user="postgres", database=self.database)
        try:
            if await conn.fetchval("SHOW autovacuum") == "on":
                return False
            await conn.execute(statement)
            return True
        finally:
            await conn.close()

    async def teardown(self) -> None:
        conn = await asyncpg.connect(host=HOST, user="postgres", database="postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await conn.close()
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", self.vhost)


Group = tuple[str, bool, list[tuple[str, int]]]


@dataclass
class Server:
    """A uvicorn server as production runs it: uvloop, httptools, N workers, no access log."""

    app: str
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    factory: bool = True
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pgid(self) -> int:
        """The server's own process group (started as a session leader): supervisor and workers."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "uvicorn", self.app, "--host", HOST, "--port", str(self.port)]
        cmd += ["--workers", str(self.workers), "--loop", "uvloop", "--http", "httptools"]
        cmd += ["--no-access-log", "--timeout-graceful-shutdown", "10"]
        if self.factory:
            cmd.append("--factory")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.app} not ready after {timeout}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The server's own process group: the uvicorn supervisor and its workers, nothing else.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
