"""Database edge: one async engine per process, and the unit of work every change goes through.

A unit of work is one transaction. Messages a change implies are written to the outbox in
that same transaction (`uow.emit`), so a change and its message are committed together or
not at all; the relay publishes them after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self

import asyncpg
from pydantic import BaseModel
from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.contracts.envelope import Envelope, new_envelope
from shared.staff_actions import claim_staff_action, unclaim_staff_action

AfterCommit = Callable[[], None]

# The one way outbox rows are written: arrays (unnest), so the SQL text is the same whatever
# the number of rows and its prepared statement is reused. Parameters: `outbox_params`.
OUTBOX_INSERT = (
    "INSERT INTO outbox (message_id, routing_key, body, correlation_id)"
    " SELECT * FROM unnest(CAST(:outbox_ids AS uuid[]), CAST(:outbox_keys AS text[]),"
    " CAST(:outbox_bodies AS bytea[]), CAST(:outbox_correlation AS text[]))"
)
_OUTBOX_INSERT = text(OUTBOX_INSERT)

# Claims a batch's messages in one statement (see `UnitOfWork.first_deliveries`).
_INBOX_CLAIM = text(
    "INSERT INTO inbox (consumer, message_id)"
    " SELECT CAST(:consumer AS text), id FROM unnest(CAST(:ids AS uuid[])) AS claimed(id)"
    " ON CONFLICT DO NOTHING RETURNING message_id"
)


def outbox_params(envelopes: Sequence[Envelope]) -> dict[str, list[Any]]:
    return {
        "outbox_ids": [env.message_id for env in envelopes],
        "outbox_keys": [env.type for env in envelopes],
        "outbox_bodies": [env.to_json() for env in envelopes],
        "outbox_correlation": [env.correlation_id for env in envelopes],
    }


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    transaction_pooler: bool = False,
) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: it costs a round trip on every transaction. A connection that died
        # with the server fails its first use instead; SQLAlchemy then drops the whole pool,
        # the request answers 503 and a consumer waits and retries (both tested).
        pool_pre_ping=False,
        pool_recycle=1800,
        # Statement parameters (names, addresses, manage tokens) never appear in error texts.
        hide_parameters=True,
        # A dead database must fail a request quickly, not hang it.
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            **(transaction_pooler_arguments() if transaction_pooler else {}),
        },
    )


def transaction_pooler_arguments() -> dict[str, Any]:
    """asyncpg behind PgBouncer in transaction mode (which, before 1.21, knows nothing of
    prepared statements): each transaction may run on another server connection, so no
    statement may be cached across transactions (asyncpg's cache and SQLAlchemy's), and the
    ones SQLAlchemy's dialect still prepares get names no other client can have used."""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__",
    }


class DatabaseAway(ConnectionError):
    """The database could not be reached on a driver connection: an infrastructure wait (a
    ConnectionError, so `is_transient`), not a failed message."""


# What asyncpg raises when the server or the connection went away (its InterfaceError also
# covers "the connection is closed"), as opposed to an error of the statement itself.
DRIVER_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    OSError,
)


class Database:
    """The engine, a session factory, and who to tell after a commit wrote outbox rows."""

    def __init__(self, engine: AsyncEngine, *, producer: str) -> None:
        self.engine = engine
        self.producer = producer
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._after_outbox_commit: list[AfterCommit] = []

    def on_outbox_commit(self, callback: AfterCommit) -> None:
        self._after_outbox_commit.append(callback)

    def outbox_committed(self) -> None:
        for callback in self._after_outbox_commit:
            callback()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @asynccontextmanager
    async def driver_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """One of the engine's pooled connections as asyncpg's own connection, for a hot
        statement: through SQLAlchemy (session, greenlet bridge, result processing) a short
        transaction costs several times the CPU of the same statements on asyncpg. No
        transaction is open: a single statement is its own (several need
        `connection.transaction()`). A lost connection is dropped from the pool and raised
        as `DatabaseAway`, which consumers wait out like any other outage."""
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            # Always set for an asyncpg engine (None only for a connection already closed).
            assert isinstance(driver, asyncpg.Connection)
            try:
                yield driver
            except DRIVER_CONNECTION_LOST as exc:
                await conn.invalidate()
                raise DatabaseAway(f"{type(exc).__name__}: {exc}") from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """`async with db.unit_of_work() as uow: ...; await uow.commit()`; leaving without commit
    rolls back, so an error half-way writes nothing."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.session: AsyncSession
        self._pending: list[Envelope] = []
        self._written_by_caller = False
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._db.sessions()
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, type_: str, payload: BaseModel) -> Envelope:
        """Record a message to publish once this unit of work commits."""
        envelope = new_envelope(type_, payload, producer=self._db.producer)
        self._pending.append(envelope)
        return envelope

    @property
    def producer(self) -> str:
        """The service whose outbox this unit of work writes to."""
        return self._db.producer

    @property
    def emitted(self) -> Sequence[Envelope]:
        return tuple(self._pending)

    def take_outbox(self) -> dict[str, list[Any]]:
        """The messages emitted so far as parameters of `OUTBOX_INSERT`, for a caller that
        runs that INSERT inside a statement of its own in this transaction (the booking batch
        does, to save a round trip while it holds the event's lock). They are no longer
        pending, so commit does not write them twice; it still wakes the relay."""
        params = outbox_params(self._pending)
        self._written_by_caller = self._written_by_caller or bool(self._pending)
        self._pending = []
        return params

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return await self.session.execute(statement, params)

    async def first_delivery(self, consumer: str, message_id: uuid.UUID) -> bool:
        """Claim a message for a consumer in this transaction; False if it was handled before.

        A concurrent redelivery blocks on the primary key until this transaction ends, then
        finds the row and backs off, so an effect happens once even under a race.
        """
        return bool(await self.first_deliveries(consumer, [message_id]))

    async def first_deliveries(
        self, consumer: str, message_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """`first_delivery` for several messages in one statement: the ones not handled before
        (the same message twice in `message_ids` is claimed once)."""
        unique = list(dict.fromkeys(message_ids))
        result = await self.session.execute(_INBOX_CLAIM, {"consumer": consumer, "ids": unique})
        return {row[0] for row in result}

    async def commit(self) -> None:
        # A staff request's first commit carries its audit record, in the same transaction.
        staff_action = claim_staff_action(self._db.producer)
        if staff_action is not None:
            self.emit(*staff_action)
        try:
            await self._write_outbox_and_commit()
        except BaseException:
            if staff_action is not None:
                unclaim_staff_action()
            raise

    async def _write_outbox_and_commit(self) -> None:
        if self._pending:
            await self.session.execute(_OUTBOX_INSERT, outbox_params(self._pending))
        await self.session.commit()
        self._committed = True
        if self._pending or self._written_by_caller:
            self._db.outbox_committed()


async def upsert_if_newer(
    uow: UnitOfWork,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    also_set: Mapping[str, Any] | None = None,
) -> bool:
    """Insert a replicated row, or overwrite it only if `values["version"]` is newer than the
    one held: the domain's guard that makes a stale or repeated message change nothing (the
    inbox is the second guard). True if the row was written."""
    statement = pg_insert(table).values(**values)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_={k: statement.excluded[k] for k in values if k not in key} | dict(also_set or {}),
        where=table.c.version < statement.excluded.version,
    ).returning(table.c[key[0]])
    return (await uow.execute(upsert)).first() is not None


async def run_in_unit_of_work(db: Database, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    async with db.unit_of_work() as uow:
        result = await work(uow)
        await uow.commit()
        return result
