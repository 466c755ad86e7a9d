"""What a rush leaves the database with, to find what grows with the size of an event: the
event rows' updates (HOT or not, dead versions, pages), the sizes of the tables and indexes the
booking batch touches and, with `explain`, the plan and buffers of each statement of one more
batch of the service's own (auto_explain, nested statements included, so the statements
inside `bookings_lock_batch` show too); and PostgreSQL's CPU per booking for batches of a
fixed size, which a busy machine does not change."""

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
    batch_us: float
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
        scans = await conn.fetchrow(
            "SELECT seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables"
            " WHERE relname = 'bookings'"
        )
        event_row = (
            f"event rows: {upd:,} updates, {hot / upd if upd else 0:.0%} HOT, {dead:,} dead, "
            f"{pages} pages; bookings read by {scans[0]:,} sequential scans ({scans[1]:,} rows)"
            f" and {scans[2]:,} index scans"
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
    # After the figures above, so they show what the rush left.
    await stage.tidy_like_autovacuum("ANALYZE")
    batch_us, plans = await probe(stage, event_id, explain=explain)
    return Growth(event_row, sizes, batch_us, plans)


PROBE_BATCHES = 20
PROBE_BATCH = 15


async def probe(stage: Stage, event_id: uuid.UUID, *, explain: bool) -> tuple[float, list[str]]:
    """`PROBE_BATCHES` batches of `PROBE_BATCH` new people through the service's own code
    (`book_batch`) on the event, one after the other on one connection, with the server idle:
    that backend's CPU per booking (µs), the same batch size at every size of the scale run,
    however busy the machine made the rush's batches. With `explain`, every statement of the
    last batch, explained with ANALYZE and BUFFERS by auto_explain in this connection only
    (the batches before it let PL/pgSQL's and prepared statements' plans settle, as they go
    generic after five runs)."""
    from services.bookings.domain.batch import BookingRequest
    from services.bookings.settings import BookingsSettings
    from services.bookings.usecases.booking import book_batch
    from shared.db import Database, make_engine

    plans: list[str] = []
    engine = make_engine(stage.database_url, pool_size=1, max_overflow=0)
    db = Database(engine, producer="bench")
    settings = BookingsSettings(database_url=stage.database_url, amqp_url=stage.amqp_url)
    try:
        async with engine.connect() as conn:
            backend = (await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
        started = _cpu_of(backend)
        for _ in range(PROBE_BATCHES - 1 if explain else PROBE_BATCHES):
            await book_batch(db, settings, event_id, _people(BookingRequest))
        used = _cpu_of(backend) - started
        if explain:
            async with engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                raw.add_log_listener(lambda _c, message: plans.append(str(message.message)))
                for sql in (
                    "LOAD 'auto_explain'",
                    "SET auto_explain.log_min_duration = 0",
                    "SET auto_explain.log_analyze = on",
                    "SET auto_explain.log_buffers = on",
                    "SET auto_explain.log_nested_statements = on",
                    "SET client_min_messages = log",
                ):
                    await raw.execute(sql)
            await book_batch(db, settings, event_id, _people(BookingRequest))
    finally:
        await db.dispose()
    batches = PROBE_BATCHES - 1 if explain else PROBE_BATCHES
    return 1e6 * used / (batches * PROBE_BATCH), [p for p in plans if p.startswith("duration")]


def _people(request: type) -> list:  # type: ignore[type-arg]
    return [
        request(email=f"probe-{uuid.uuid4().hex[:12]}@example.org", name="Probe")
        for _ in range(PROBE_BATCH)
    ]


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9
