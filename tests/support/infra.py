"""Per-session infrastructure on the machine's real servers: a RabbitMQ vhost and a database
per service, made for this test session and removed after it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import asyncpg

from shared.migrations import SERVICES, migrate
from tests.support.staff_keys import PUBLIC_KEY

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
AMQP_HOST = os.environ.get("TEST_AMQP_HOST", "127.0.0.1")
AMQP_PORT = int(os.environ.get("TEST_AMQP_PORT", "5672"))


def rabbitmqctl(*args: str, node: str | None = None) -> None:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    where = ["-n", node] if node else []
    done = subprocess.run([exe, *where, *args], capture_output=True, timeout=60, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout} {done.stderr}")


def pg_url(database: str, *, host: str = PG_HOST, port: int = PG_PORT) -> str:
    return f"postgresql+asyncpg://postgres@{host}:{port}/{database}"


def amqp_url(vhost: str, *, host: str = AMQP_HOST, port: int = AMQP_PORT) -> str:
    return f"amqp://guest:guest@{host}:{port}/{quote(vhost, safe='')}"


@dataclass(frozen=True)
class BrokerTarget:
    """A broker other than the machine's own (a test-owned node or cluster): the node that
    `rabbitmqctl` talks to, and the AMQP_URL the services get for a vhost."""

    ctl_node: str
    url_for: Callable[[str], str]


@dataclass
class Infra:
    tag: str
    vhost: str
    amqp_url: str
    database_urls: dict[str, str] = field(default_factory=dict)
    ctl_node: str | None = None

    def env_for(self, service: str) -> dict[str, str]:
        return {
            "ENVIRONMENT": "test",
            "DATABASE_URL": self.database_urls[service],
            "AMQP_URL": self.amqp_url,
            # Tests read what a service emitted from its outbox (tests/conftest.py).
            "OUTBOX_RETENTION": "86400",
            # Services started as processes trust this session's staff token key.
            "STAFF_TOKEN_PUBLIC_KEY": PUBLIC_KEY,
        }


async def create_infra(broker: BrokerTarget | None = None) -> Infra:
    tag = uuid.uuid4().hex[:10]
    vhost = f"test-{tag}"
    node = broker.ctl_node if broker else None
    await asyncio.to_thread(rabbitmqctl, "add_vhost", vhost, node=node)
    await asyncio.to_thread(
        rabbitmqctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*", node=node
    )
    url = broker.url_for(vhost) if broker else amqp_url(vhost)
    infra = Infra(tag=tag, vhost=vhost, amqp_url=url, ctl_node=node)
    for service in SERVICES:
        url = pg_url(f"t_{tag}_{service}")
        await migrate(service, url)
        infra.database_urls[service] = url
    return infra


async def drop_infra(infra: Infra) -> None:
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        for url in infra.database_urls.values():
            name = url.rsplit("/", 1)[-1]
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    await asyncio.to_thread(rabbitmqctl, "delete_vhost", infra.vhost, node=infra.ctl_node)
