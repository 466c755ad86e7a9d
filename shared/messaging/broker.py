"""The process's one broker connection. It keeps trying to connect in the background (the
service starts and answers /readyz even while RabbitMQ is down) and, once connected, aio-pika's
robust connection restores channels, queues and consumers after every outage. With several node
addresses in AMQP_URL (see `addresses`), every attempt goes to the next node, so losing a node
of a cluster means a reconnect to another one."""

from __future__ import annotations

import asyncio
import contextlib

from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from shared.logging import describe_error, get_logger
from shared.messaging.addresses import (
    ClusterConnection,
    connect_robust_cluster,
    masked,
    parse_amqp_urls,
)

log = get_logger(__name__)


class Broker:
    def __init__(self, url: str, *, name: str) -> None:
        self._urls = parse_amqp_urls(url)
        self._name = name
        self.connection: ClusterConnection | None = None
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name="broker-connect")

    async def _connect_forever(self) -> None:
        delay = 0.5
        attempt = 0
        while True:
            try:
                # Each failed first attempt starts the next one at the next node.
                self.connection = await connect_robust_cluster(
                    self._urls,
                    start=attempt,
                    # A node that accepts TCP but never answers must not hold up the others.
                    timeout=5,
                    client_properties={"connection_name": self._name},
                    reconnect_interval=1,
                    fail_fast=True,
                )
                self.connected.set()
                log.info("broker.connected", node=self.connection.current_address)
                self.connection.reconnect_callbacks.add(self._reconnected)
                return
            except Exception as exc:
                log.warning(
                    "broker.connect_failed",
                    node=masked(self._urls[attempt % len(self._urls)]),
                    error=describe_error(exc),
                    retry_in=delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5)

    def _reconnected(self, connection: object) -> None:
        assert self.connection is not None
        log.info("broker.reconnected", node=self.connection.current_address)

    async def wait_connected(self) -> AbstractRobustConnection:
        await self.connected.wait()
        assert self.connection is not None
        return self.connection

    async def channel(
        self, *, prefetch: int | None = None, confirms: bool = True
    ) -> AbstractChannel:
        connection = await self.wait_connected()
        channel = await connection.channel(publisher_confirms=confirms)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    @property
    def is_ready(self) -> bool:
        # A robust connection object outlives outages; its own `connected` event says whether
        # it is up right now.
        conn = self.connection
        return conn is not None and not conn.is_closed and conn.connected.is_set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.connection is not None:
            # Bounded: closing a robust connection that is mid-reconnect can otherwise hang.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.connection.close(), timeout=3)
