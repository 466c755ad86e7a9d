"""What a rush leaves the database with, to find what grows with the size of an event: the
event rows' updates (HOT or not, dead versions, pages), the sizes of the tables and indexes the
booking batch touches and, with `explain`, the plan and buffers of each statement of one more
batch of the service's own (auto_explain, nested statements included, so the statements
inside `bookings_lock_batch` show too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from bench.hot_event.stage import HOST, Stage

_TABLES = ("event_replicas", "bookings", "outbox", "idempotency_keys")


@dataclass(frozen=True)
class Growth:
    event_row: str
    sizes: dict[str, int]
    plans: list[str] = field(default_factory=list)

    def line(self) -> str:
        sizes = ", ".join(f"{name} {kb:,} kB" for name, kb in self.sizes.items())
        return f"{self.event_row}; {sizes}"


async def look(stage: Stage, event_id: uuid.UUID, *, explain: bool) -> Growth:
    conn = await asyncpg.connect(host=HOST, user="postgres", database=stage.database)
    try:
        upd, hot, dead, pages = await conn.fetchrow(
            "SELECT n_tup_upd, n_tup_hot_upd, n_dead_tup,"
            " pg_relation_size('event_replicas') / 8192"
            " FROM pg_stat_user_tables WHERE relname = 'event_replicas'"
        )
        event_row = (
            f"event rows: {upd:,} updates, {hot / upd if upd else 0:.0%} HOT, {dead:,} dead, "
            f"{pages} pages"
        )
        rows = await conn.fetch(
            "SELECT c.relname, pg_relation_size(c.oid) / 1024 FROM pg_class c"
            " LEFT JOIN pg_index i ON i.indexrelid = c.oid"
            " LEFT JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE coalesce(t.relname, c.relname) = ANY($1::text[]) AND c.relkind IN ('r', 'i')"
            " ORDER BY coalesce(t.relname, c.relname), c.relkind DESC, c.relname",
            list(_TABLES),
        )
        sizes = {name: kb for name, kb in rows}
    finally:
        await conn.close()
    plans = await probe(stage, event_id) if explain else []
    return Growth(event_row, sizes, plans)


async def probe(stage: Stage, event_id: uuid.UUID) -> list[str]:
    """Every statement of one batch of the service's own code (`book_batch`) on the event,
    explained with ANALYZE and BUFFERS by auto_explain in this connection only."""
    from services.bookings.domain.batch import BookingRequest
    from services.bookings.settings import BookingsSettings
    from services.bookings.usecases.booking import book_batch
    from shared.db import Database, make_engine

    plans: list[str] = []
    engine = make_engine(stage.database_url, pool_size=1, max_overflow=0)

    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "connect")
    def _explained(dbapi_connection: object, _: object) -> None:
        raw = dbapi_connection.driver_connection  # type: ignore[attr-defined]
        raw.add_log_listener(lambda _c, message: plans.append(str(message.message)))
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        for sql in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_buffers = on",
            "SET auto_explain.log_timing = on",
            "SET auto_explain.log_nested_statements = on",
            "SET client_min_messages = log",
        ):
            cursor.execute(sql)
        cursor.close()
        dbapi_connection.commit()  # type: ignore[attr-defined]

    db = Database(engine, producer="bench")
    settings = BookingsSettings(database_url=stage.database_url, amqp_url=stage.amqp_url)
    try:
        # Six batches of fifteen new people; the last one's plans are kept: by then they are
        # those a long-lived connection settles on (PL/pgSQL's and prepared statements' plans
        # may go generic after five runs).
        for _ in range(6):
            plans.clear()
            requests = [
                BookingRequest(email=f"probe-{uuid.uuid4().hex[:12]}@example.org", name="Probe")
                for _ in range(15)
            ]
            await book_batch(db, settings, event_id, requests)
    finally:
        await db.dispose()
    return [p for p in plans if p.startswith("duration")]
