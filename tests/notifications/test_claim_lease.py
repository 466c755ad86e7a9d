"""A live sender that loses its database mid-send doubles no email.

Sender A claims four emails through a TCP proxy the test owns, and starts the first; the mail
server holds its DATA reply. The test cuts A's database line (A stays alive, SMTP still
reachable). Once A's lease lapses, sender B takes the four over and sends them. Then the
server answers A's held transaction with a 451 (not accepted) and A's line comes back: A must
not start the three it still had queued (its claim is gone), and its late word about the first
is refused by the fencing token, so B's `sent` stands. Each recipient gets exactly one email.

The held transaction is answered 451, not 250, on purpose: an email the server accepts after
the sender lost the means to record it is the physical limit of SMTP (nobody can ask the
server what it accepted); B would send it again. That window is one transaction per SMTP
connection of the sender that lost its database, for as long as its line is down, and is
described in the README.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.domain.deliveries import RetryPolicy
from services.notifications.metrics import CLAIMS_LOST
from services.notifications.persistence.hotpath import HotPath
from services.notifications.persistence.tables import deliveries
from services.notifications.sending.pool import TRANSACTIONAL, PoolConfig, SmtpPool
from services.notifications.sending.ratelimit import TokenBucket
from services.notifications.sending.recorder import OutcomeRecorder
from services.notifications.sending.sender import Sender, Summary
from shared.db import Database, make_engine
from tests.notifications.factories import unique_email
from tests.support.infra import Infra
from tests.support.proxy import CuttableProxy
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
POLICY = RetryPolicy(
    first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=1), deadline=timedelta(hours=1)
)


class HoldFirstSink(SmtpSink):
    """Holds the first transaction's answer to DATA until told what to answer."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = asyncio.Event()
        self.answer: asyncio.Future[str] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answer is None:
            self.answer = asyncio.get_running_loop().create_future()
            self.holding.set()
            return await self.answer
        return await super().handle_DATA(server, session, envelope)


class Side:
    """One sender with its own database connections and SMTP pool."""

    def __init__(self, database_url: str, smtp_port: int, *, lease: float) -> None:
        self.db = Database(make_engine(database_url, pool_size=2), producer="notifications")
        self.hot = HotPath(database_url, size=2)
        self.pool = SmtpPool(
            PoolConfig(
                host="127.0.0.1",
                port=smtp_port,
                timeout=30,
                connections=1,
                max_per_connection=100,
                idle_seconds=30,
                mail_from="Programme <programme@leadinggm.example.org>",
            ),
            TokenBucket(0),
        )
        self.recorder = OutcomeRecorder(self.db, self.hot, POLICY)
        self.sender = Sender(self.db, self.pool, self.recorder, self.hot, lease=lease)

    def start(self) -> Side:
        self.pool.start()
        self.recorder.start()
        return self

    async def stop(self) -> None:
        await self.pool.stop()
        await self.recorder.stop()
        await self.hot.close()
        await self.db.dispose()


def _message(recipient: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "programme@leadinggm.example.org", recipient, "Hi"
    msg.set_content("Your place is confirmed.")
    return msg.as_bytes()


async def _queue(engine: AsyncEngine, recipients: list[str]) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in recipients]
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(deliveries),
            [
                {
                    "id": i,
                    "dedupe_key": f"test-lease:{i}",
                    "kind": "confirmation",
                    "recipient": r,
                    "subject": "Hi",
                    "message": _message(r),
                    "state": "queued",
                    "created_at": datetime.now(UTC),
                }
                for i, r in zip(ids, recipients, strict=True)
            ],
        )
    return ids


async def test_a_sender_cut_from_its_database_mid_send_doubles_nothing(
    infra: Infra, notif_engine: AsyncEngine
) -> None:
    url = make_url(infra.database_urls["notifications"])
    db_proxy = await CuttableProxy(url.host or "127.0.0.1", url.port or 5432).start()
    via_proxy = url.set(port=db_proxy.port).render_as_string(hide_password=False)
    sink = await HoldFirstSink().start()
    a = Side(via_proxy, sink.port, lease=3).start()
    b = Side(infra.database_urls["notifications"], sink.port, lease=30).start()
    recipients = [unique_email("lease") for _ in range(4)]
    ids = await _queue(notif_engine, recipients)
    lost_before = CLAIMS_LOST.labels("temporary")._value.get()
    try:
        first = asyncio.create_task(a.sender.send(ids, priority=TRANSACTIONAL))
        await asyncio.wait_for(sink.holding.wait(), timeout=15)
        await db_proxy.cut()  # A is mid-send and can no longer reach its database

        async def b_took_over() -> Summary | None:
            summary = await b.sender.send(ids, priority=TRANSACTIONAL)
            return summary if summary.sent == 4 else None

        # Until A's lease lapses B finds every email held by another sender.
        taken = await wait_for(b_took_over, timeout=30, interval=0.3, message="B took over")
        assert sink.answer is not None
        sink.answer.set_result("451 4.3.0 try again later")
        await db_proxy.restore()
        late = await asyncio.wait_for(first, timeout=30)
        states = await _states(notif_engine, ids)
    finally:
        for side in (a, b):
            await side.stop()
        await sink.stop()
        await db_proxy.stop()
    assert taken.sent == 4 and taken.held_elsewhere == 0
    # A started nothing after its claim ran out, and its late deferral was refused.
    assert late.sent == 0 and late.lapsed == 3 and late.deferred == 1
    assert CLAIMS_LOST.labels("temporary")._value.get() == lost_before + 1
    assert [len(sink.to(r)) for r in recipients] == [1, 1, 1, 1], "each recipient exactly once"
    assert states == {"sent": 4}


async def _states(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(deliveries.c.state, sa.func.count())
            .where(deliveries.c.id.in_(ids))
            .group_by(deliveries.c.state)
        )
        return {row[0]: row[1] for row in rows}
