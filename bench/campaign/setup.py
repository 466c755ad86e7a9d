"""Bench set-up shared by the notifications benchmarks: a fresh vhost and databases, topology,
service processes, and a roster written straight into the notifications replica (how the
roster arrives is not what these benchmarks measure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from services.notifications.persistence import events as event_store
from services.notifications.persistence.tables import cohort_members
from shared.contracts import EventState
from shared.db import Database, make_engine
from shared.messaging.declare import declare_all
from shared.settings import ServiceSettings
from tests.support.infra import Infra
from tests.support.processes import ROOT, ServiceProcess

LOGS = ROOT / "bench" / "results"


def bench_event() -> EventState:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    return EventState(
        event_id=uuid.uuid4(),
        version=1,
        title="Reunion and Reflection",
        summary="Cohorts come back together to reflect on a year of leading.",
        starts_at=start,
        ends_at=start + timedelta(hours=7),
        capacity=100_000,
        venue={  # type: ignore[arg-type]
            "name": "Salford Innovation Forum",
            "address": "51 Frederick Road, Salford",
            "accessibility": "Step-free access throughout.",
        },
    )


async def declare(infra: Infra) -> None:
    await declare_all(ServiceSettings(amqp_url=infra.amqp_url))


async def seed_roster(infra: Infra, event: EventState, size: int) -> tuple[uuid.UUID, set[str]]:
    db = Database(make_engine(infra.database_urls["notifications"]), producer="bench")
    cohort = uuid.uuid4()
    emails = {f"leader{n}.{cohort.hex[:6]}@example.org" for n in range(size)}
    rows = [
        {
            "cohort_id": cohort,
            "member_id": uuid.uuid4(),
            "email": e,
            "name": f"Leader {n}",
            "version": n + 1,
        }
        for n, e in enumerate(sorted(emails))
    ]
    try:
        async with db.unit_of_work() as uow:
            await event_store.apply_state(uow, event)
            for start in range(0, len(rows), 5000):
                await uow.execute(sa.insert(cohort_members), rows[start : start + 5000])
            await uow.commit()
    finally:
        await db.dispose()
    return cohort, emails


def notifications_process(infra: Infra, smtp_port: int, name: str, **env: str) -> ServiceProcess:
    LOGS.mkdir(parents=True, exist_ok=True)
    values = {
        **infra.env_for("notifications"),
        "SMTP_PORT": str(smtp_port),
        "LOG_LEVEL": "WARNING",
        "OUTBOX_POLL_INTERVAL": "0.5",
        **env,
    }
    log = Path(LOGS / f"{name}.log")
    log.unlink(missing_ok=True)  # a fresh log per run (processes append to theirs)
    return ServiceProcess("notifications", values, log)
