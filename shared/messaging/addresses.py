"""Several broker node addresses in one setting, and connections that use whichever is alive.

`AMQP_URL` may list the nodes of a cluster, comma separated. Each entry is a full URL, or just
`host:port`, which takes the scheme, credentials, virtual host and query of the first entry:

    AMQP_URL=amqp://app:secret@rabbit-0:5672/prod,rabbit-1:5672,rabbit-2:5672

aio-pika's robust connection takes one URL. `ClusterConnection` is that robust connection with
one change: each connection attempt (the first, and every reconnect after a node is lost) goes
to the next address in the list, so a process lands on a live node by itself and the channels,
queues and consumers aio-pika restores are restored there.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection
from aio_pika.robust_connection import RobustConnection
from yarl import URL


def parse_amqp_urls(value: str) -> list[str]:
    """The node URLs in a setting; raises ValueError on an empty list or a malformed entry."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    if not entries:
        raise ValueError("AMQP_URL names no broker")
    first = URL(entries[0])
    if first.scheme not in ("amqp", "amqps") or not first.host:
        raise ValueError(f"AMQP_URL: the first entry must be an amqp:// URL, got {first.scheme!r}")
    urls = [str(first)]
    for entry in entries[1:]:
        if "://" in entry:
            url = URL(entry)
        else:
            host, _, port = entry.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"AMQP_URL: {entry!r} is neither a URL nor host:port")
            url = first.with_host(host).with_port(int(port))
        if url.scheme not in ("amqp", "amqps") or not url.host:
            raise ValueError(f"AMQP_URL: {entry!r} is not an amqp:// URL")
        urls.append(str(url))
    return urls


def masked(url: str) -> str:
    parsed = URL(url)
    return str(parsed.with_password("******")) if parsed.password else url


class ClusterConnection(RobustConnection):
    """A robust connection that tries the next node address on every connection attempt.

    aio-pika 10.2 reads `self.url` exactly once per attempt (in `Connection.connect`), so the
    property below advancing on each read is the rotation; `__str__` (used in log lines) reads
    the address in use without advancing. Pinned in constraints.txt and covered by
    tests/integration/test_broker_addresses.py, which fails if aio-pika stops doing so.
    """

    def __init__(self, url: URL, *, addresses: list[str], **kwargs: Any) -> None:
        self._addresses = [URL(a) for a in addresses]
        self._next = 0
        self._current = self._addresses[0]
        super().__init__(url, **kwargs)
        self._next = 0  # reads during __init__ were not connection attempts

    @property
    def url(self) -> URL:
        self._current = self._addresses[self._next % len(self._addresses)]
        self._next += 1
        return self._current

    @url.setter
    def url(self, value: URL) -> None:
        # aio-pika assigns at construction and on update_secret (a new password): keep every
        # address, with the new credentials if they changed.
        value = URL(value)
        if hasattr(self, "_addresses") and value.password is not None:
            self._addresses = [a.with_password(value.password) for a in self._addresses]

    @property
    def current_address(self) -> str:
        return masked(str(self._current))

    def __str__(self) -> str:
        return self.current_address


async def connect_robust_cluster(
    urls: list[str], *, start: int = 0, timeout: float | None = None, **kwargs: Any
) -> ClusterConnection:
    """A robust connection over `urls`, the first attempt at `urls[start]`; what
    `aio_pika.connect_robust` does, with the address list (which must not go into a URL)."""
    rotated = urls[start % len(urls) :] + urls[: start % len(urls)]
    connection = ClusterConnection(URL(rotated[0]), addresses=rotated, **kwargs)
    try:
        await connection.connect(timeout=timeout)
    except BaseException:
        # A failed or cancelled first attempt (a service stopped while the broker is away)
        # must not leave the robust connection's reconnect tasks running unowned.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), timeout=3)
        raise
    return connection


async def connect_first(amqp_url: str, **kwargs: Any) -> AbstractConnection:
    """A plain connection to the first node that answers (commands: declare, parked, migrate)."""
    errors = []
    for url in parse_amqp_urls(amqp_url):
        try:
            return await aio_pika.connect(url, **kwargs)
        except Exception as exc:
            errors.append(f"{masked(url)}: {exc}")
    raise ConnectionError("no broker node answered: " + "; ".join(errors))
