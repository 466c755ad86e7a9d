"""Fixtures for the notifications tests: the service in-process (or as an OS process) against
this session's database and vhost, a real SMTP server, and a way to publish the messages the
catalogue and bookings would."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aio_pika
import httpx
import pytest_asyncio
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.contracts import Envelope, new_envelope
from shared.messaging.declare import declare_all
from tests.conftest import running, settings_for
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for


def notifications_settings(infra: Infra, **overrides: Any) -> NotificationsSettings:
    values: dict[str, Any] = {
        "send_rate": 0,
        "scheduler_interval": 0.2,
        "retry_delays": [0.2, 0.4, 0.8],
        "defer_first_delay": 0.2,
        "defer_max_delay": 0.5,
        "claim_lease": 5.0,
        "public_base_url": "http://notifications.example.org",
        "bookings_public_url": "http://bookings.example.org",
    }
    values.update(overrides)
    return settings_for("notifications", infra, **values)  # type: ignore[no-any-return]


@dataclass
class Bus:
    """Publishes envelopes to the session's exchange, as another service's relay would, and
    listens to what notifications publishes."""

    channel: aio_pika.abc.AbstractChannel
    exchange: aio_pika.abc.AbstractExchange

    async def probe(self, routing_key: str) -> aio_pika.abc.AbstractQueue:
        queue = await self.channel.declare_queue(f"probe-{uuid.uuid4().hex[:8]}", exclusive=True)
        await queue.bind(self.exchange, routing_key)
        return queue

    @staticmethod
    async def drain(queue: aio_pika.abc.AbstractQueue) -> list[Envelope]:
        found = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(Envelope.from_json(message.body))
        return found

    async def publish_envelope(self, envelope: Envelope) -> Envelope:
        await self.exchange.publish(
            aio_pika.Message(
                envelope.to_json(),
                message_id=str(envelope.message_id),
                correlation_id=envelope.correlation_id,
                type=envelope.type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.type,
        )
        return envelope

    async def publish(self, type_: str, payload: BaseModel, producer: str = "test") -> Envelope:
        return await self.publish_envelope(new_envelope(type_, payload, producer=producer))


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def bus(infra: Infra) -> AsyncIterator[Bus]:
    # As `make run` does: queues exist before anything is published, so no message is dropped
    # as unroutable while a service is still starting.
    await declare_all(settings_for("notifications", infra))
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            "gm.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        yield Bus(channel, exchange)
    finally:
        await connection.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def notif_engine(infra: Infra) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(infra.database_urls["notifications"])
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def notifications(
    infra: Infra, smtp: SmtpSink, **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    overrides.setdefault("smtp_port", smtp.port)
    app = create_app(notifications_settings(infra, **overrides))
    async with running(app) as client:
        # 60 s, not 15: with the machine's broker busy its connects time out and are retried
        # (broker.connect_failed), and tests failed here before doing anything.
        await wait_for(
            lambda: _consuming(app), timeout=60, message="notifications consumers started"
        )
        yield app, client


def _consuming(app: FastAPI) -> bool:
    runtime = app.state.runtime
    return bool(runtime.consumers) and all(c._tag for c in runtime.consumers)


def parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def arrived(smtp: SmtpSink, address: str) -> Callable[[], list[EmailMessage]]:
    return lambda: smtp.to(address)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
