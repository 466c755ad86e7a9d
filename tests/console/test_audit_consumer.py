"""The console's consumer of `<service>.staff_action.recorded`: each action once in the audit
log, whether the same message is redelivered or the same action published twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from services.console.persistence.tables import audit_log
from shared.contracts.envelope import new_envelope
from shared.contracts.staff import StaffActionRecorded
from shared.db import make_engine
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(console_system: System) -> AsyncIterator[Runtime]:
    settings = ServiceSettings(
        service_name="catalogue",
        database_url=console_system.infra.database_urls["catalogue"],
        amqp_url=console_system.infra.amqp_url,
        run_workers=False,
    )
    rt = Runtime(settings)
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


async def _rows(system: System, action_id: uuid.UUID) -> int:
    engine = make_engine(system.infra.database_urls["console"], pool_size=1)
    try:
        async with engine.connect() as conn:
            query = sa.select(sa.func.count()).where(audit_log.c.action_id == action_id)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_each_staff_action_is_recorded_once(
    console_system: System, publisher: Runtime, admin: httpx.AsyncClient
) -> None:
    action = StaffActionRecorded(
        action_id=uuid.uuid4(),
        actor="someone-1",
        actor_name="Sam <Staff>",
        action="event.published",
        target_type="event",
        target_id=str(uuid.uuid4()),
        summary="capacity 40 -> 60",
        occurred_at=datetime.now(UTC),
    )
    first = new_envelope("catalogue.staff_action.recorded", action, producer="catalogue")
    again = new_envelope("catalogue.staff_action.recorded", action, producer="catalogue")
    for envelope in (first, first, again):
        await publisher.publisher.publish(
            envelope.type,
            envelope.to_json(),
            message_id=str(envelope.message_id),
            correlation_id=envelope.correlation_id,
        )

    async def shown() -> bool:
        return "capacity 40 -&gt; 60" in (await admin.get("/audit")).text

    await wait_for(shown, timeout=30, message="action in the audit log")
    page = (await admin.get("/audit?actor=someone-1")).text
    assert "Sam &lt;Staff&gt;" in page and "published event" in page and "catalogue" in page
    # Let the later copies arrive, then count: still one row.
    marker = StaffActionRecorded(
        **{**action.model_dump(), "action_id": uuid.uuid4(), "summary": "m"}
    )
    tail = new_envelope("catalogue.staff_action.recorded", marker, producer="catalogue")
    await publisher.publisher.publish(
        tail.type,
        tail.to_json(),
        message_id=str(tail.message_id),
        correlation_id=tail.correlation_id,
    )

    async def marker_in() -> bool:
        return await _rows(console_system, marker.action_id) == 1

    await wait_for(marker_in, timeout=30, message="marker recorded")
    assert await _rows(console_system, action.action_id) == 1
    filtered = (await admin.get("/audit?actor=nobody-at-all")).text
    assert "capacity 40" not in filtered
