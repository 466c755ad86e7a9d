"""The statements run per email (or per small batch of emails), straight on asyncpg.

Profiling a 10,000-invitee campaign showed the SQLAlchemy layer (session, greenlet bridge,
pre-ping on every checkout) costing ~250 us of CPU per transaction against ~35 us for the same
transaction on asyncpg; at a thousand emails a second that was the largest cost in the process.
So claims, campaign `sent` marks, campaign delivery rows and the pause check go through a small
asyncpg pool of their own. Everything that writes the outbox stays on the unit of work.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from services.notifications.domain.deliveries import Claimed, State
from services.notifications.domain.reminders import Due
from services.notifications.persistence.bookings import UPSERT_IF_NEWER
from services.notifications.persistence.deliveries import CLAIM_SQL, DUE_SQL, PULL_FORWARD_SQL
from shared.contracts import BookingState, Envelope

# Fenced: only the sender whose claim is still the current one records its 250 (a lapsed
# claim taken over has a new token). The ids it returns are the ones recorded.
MARK_SENT_SQL = """
    UPDATE deliveries AS d
       SET state = 'sent', smtp_message_id = v.answer, sent_at = v.sent_at, last_error = NULL,
           reason = NULL, next_attempt_at = NULL, lease_until = NULL, updated_at = now()
      FROM unnest(CAST($1 AS uuid[]), CAST($2 AS text[]), CAST($3 AS timestamptz[]),
                  CAST($4 AS uuid[]))
           AS v(id, answer, sent_at, token)
     WHERE d.id = v.id AND d.state = 'sending' AND d.claim_token = v.token
    RETURNING d.id
"""

# The same fenced UPDATE, and the `notifications.email.sent` outbox rows of the emails it
# recorded (joined on the delivery id, so a 250 whose claim was taken over announces nothing),
# in one statement: one round trip and one implicit transaction for a group of transactional
# emails, where the unit of work took four (BEGIN, UPDATE, outbox INSERT, COMMIT) through
# SQLAlchemy. Outbox parameters: $5 delivery ids, then shared.db.OUTBOX_INSERT's four arrays.
MARK_SENT_ANNOUNCED_SQL = f"""
    WITH recorded AS ({MARK_SENT_SQL}),
    announced AS (
        INSERT INTO outbox (message_id, routing_key, body, correlation_id)
        SELECT o.message_id, o.routing_key, o.body, o.correlation_id
          FROM unnest(CAST($5 AS uuid[]), CAST($6 AS uuid[]), CAST($7 AS text[]),
                      CAST($8 AS bytea[]), CAST($9 AS text[]))
               AS o(delivery_id, message_id, routing_key, body, correlation_id)
          JOIN recorded ON recorded.id = o.delivery_id
    )
    SELECT id FROM recorded
"""

_INSERT_CAMPAIGN = """
    INSERT INTO deliveries (id, dedupe_key, kind, event_id, campaign_id, recipient,
                            recipient_name, subject, correlation_id, state)
    SELECT v.id, v.dedupe_key, 'invitation', $3, $4, v.recipient, v.recipient_name, $5, $6,
           'queued'
      FROM unnest($1::uuid[], $2::text[], $7::text[], $8::text[])
           AS v(id, dedupe_key, recipient, recipient_name)
    ON CONFLICT (dedupe_key) DO NOTHING
"""


# A confirmation (or promotion) in one statement, once its email is composed: the inbox claim,
# the booking replica's upsert by version, the reminders and the email's delivery row, each
# step only if the one before it wrote (claimed, then newer), so a repeated message changes
# nothing and a stale one queues nothing. The email was composed from an event state the
# caller may have kept from an earlier message: nothing is claimed unless the replica still
# holds that version of the event ($23), and `event_current` says so. Through the unit of
# work these were six round trips (BEGIN, claim, upsert, reminders, delivery, COMMIT); a
# single statement is its own transaction, all or nothing. The recipient's hourly cap is
# persistence/deliveries._QUEUE's, mirrored from domain.deliveries.state_at_queue. A row that
# is not suppressed is written already claimed by this process (`sending`, with its claim
# token $24 and a lease of $25 seconds, as CLAIM_SQL would leave it): the sender starts on it
# at once, without a claim's round trip reading the message back; if the process dies first,
# the lease lapses and the retry pass sends it, as it does a claim lapsed in any other way.
CONFIRM_SQL = f"""
    WITH current AS (
        SELECT 1 FROM events WHERE event_id = $4::uuid AND version = $23::integer
    ),
    claimed AS (
        INSERT INTO inbox (consumer, message_id) SELECT $1::text, $2::uuid FROM current
        ON CONFLICT DO NOTHING RETURNING message_id
    ),
    applied AS (
        INSERT INTO bookings (booking_id, event_id, version, status, campaign_id, state)
        SELECT $3::uuid, $4::uuid, $5::integer, $6::text, $7::uuid, CAST($8::text AS jsonb)
          FROM claimed
        {UPSERT_IF_NEWER}
    ),
    reminded AS (
        INSERT INTO reminders (id, booking_id, event_id, session_id, offset_seconds, due_at)
        SELECT gen_random_uuid(), $3::uuid, $4::uuid, r.session_id, r.offset_seconds, r.due_at
          FROM applied, unnest($9::uuid[], $10::integer[], $11::timestamptz[])
               AS r(session_id, offset_seconds, due_at)
        ON CONFLICT ON CONSTRAINT uq_reminders_booking_session_offset DO NOTHING
    ),
    recent AS (
        SELECT count(*) FILTER (WHERE state <> 'suppressed') AS n,
               count(*) FILTER (WHERE state = 'suppressed') AS suppressed
          FROM deliveries
         WHERE campaign_id IS NULL AND lower(recipient) = lower($15::text)
           AND created_at > now() - interval '1 hour' AND kind NOT LIKE 'test:%'
    ),
    queued AS (
        INSERT INTO deliveries (id, dedupe_key, kind, booking_id, event_id, recipient,
                                recipient_name, subject, message, message_id, correlation_id,
                                state, reason, claim_token, lease_until, attempts, updated_at)
        SELECT $12::uuid, $13::text, $14::text, $3::uuid, $4::uuid, $15::text, $16::text,
               $17::text, $18::bytea, $19::text, $20::text, o.state, o.reason,
               CASE WHEN o.state = 'sending' THEN $24::uuid END,
               CASE WHEN o.state = 'sending'
                    THEN now() + make_interval(secs => $25::double precision) END,
               CASE WHEN o.state = 'sending' THEN 1 ELSE 0 END, now()
          FROM recent, applied,
               LATERAL (SELECT CASE WHEN $21::boolean AND recent.n >= $22::integer
                                    THEN 'suppressed' ELSE 'sending' END AS state,
                               CASE WHEN $21::boolean AND recent.n >= $22::integer
                                    THEN 'recipient_cap' END AS reason) AS o
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, state, (SELECT suppressed FROM recent) AS suppressed, created_at
    )
    SELECT EXISTS (SELECT 1 FROM current) AS event_current,
           EXISTS (SELECT 1 FROM claimed) AS claimed,
           EXISTS (SELECT 1 FROM applied) AS applied,
           queued.id, queued.state, queued.suppressed, queued.created_at
      FROM (SELECT 1) AS one LEFT JOIN queued ON true
"""


@dataclass(frozen=True)
class Confirmed:
    """What `HotPath.confirm` did: nothing unless the event was current (else the email must
    be composed again from the replica's state), claimed (else a repeat), applied (else
    stale), and the delivery row it wrote (None when one with the same dedupe key was there):
    its id, state (`sending` under the caller's claim token, or `suppressed`), the recipient's
    suppressed count before it, and when it was written."""

    event_current: bool
    claimed: bool
    applied: bool
    queued: tuple[uuid.UUID, State, int] | None
    created_at: datetime | None = None


class DatabaseAway(ConnectionError):
    """The database could not be reached: an infrastructure wait, not a failed message."""


_AWAY = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    OSError,
)


async def _keep(connection: asyncpg.Connection) -> None:
    return None


class HotPath:
    def __init__(
        self, database_url: str, *, size: int = 4, transaction_pooler: bool = False
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._size = size
        # Behind a transaction-mode pooler no prepared statement may be cached (shared/db.py).
        self._statement_cache_size = 0 if transaction_pooler else 100
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        try:
            pool = self._pool or await self._open()
            return await pool.fetch(query, *args, timeout=30)
        except _AWAY as exc:
            raise DatabaseAway(f"{type(exc).__name__}: {exc}") from exc

    async def _open(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._size,
                    timeout=5,
                    command_timeout=30,
                    statement_cache_size=self._statement_cache_size,
                    # These statements leave no session state behind, so the round trip that
                    # resets a connection on its way back to the pool buys nothing.
                    reset=_keep,
                )
        return self._pool

    async def claim(
        self, ids: Sequence[uuid.UUID], *, token: uuid.UUID, lease: float
    ) -> list[Claimed]:
        rows = await self._fetch(CLAIM_SQL, list(ids), token, lease)
        return [Claimed(**dict(row)) for row in rows]

    async def mark_sent(
        self, sent: Sequence[tuple[uuid.UUID, str, datetime, uuid.UUID]]
    ) -> set[uuid.UUID]:
        """Record 250s; returns the ids recorded (the others' claims were taken over)."""
        if not sent:
            return set()
        ids, answers, times, tokens = zip(*sent, strict=True)
        rows = await self._fetch(
            MARK_SENT_SQL, list(ids), [a[:500] for a in answers], list(times), list(tokens)
        )
        return {row["id"] for row in rows}

    async def mark_sent_announced(
        self,
        sent: Sequence[tuple[uuid.UUID, str, datetime, uuid.UUID]],
        announcements: Sequence[tuple[uuid.UUID, Envelope]],
    ) -> set[uuid.UUID]:
        """Record 250s and, for each delivery recorded, its envelope in the outbox (one
        statement, so both or neither); returns the ids recorded."""
        if not sent:
            return set()
        ids, answers, times, tokens = zip(*sent, strict=True)
        rows = await self._fetch(
            MARK_SENT_ANNOUNCED_SQL,
            list(ids),
            [a[:500] for a in answers],
            list(times),
            list(tokens),
            [delivery_id for delivery_id, _ in announcements],
            [env.message_id for _, env in announcements],
            [env.type for _, env in announcements],
            [env.to_json() for _, env in announcements],
            [env.correlation_id for _, env in announcements],
        )
        return {row["id"] for row in rows}

    async def due(
        self, *, transactional: bool, queued_before: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        rows = await self._fetch(DUE_SQL, queued_before, transactional, limit)
        return [(row["id"], row["campaign_id"]) for row in rows]

    async def pull_forward(self) -> None:
        await self._fetch(PULL_FORWARD_SQL)

    async def insert_campaign_deliveries(
        self, campaign: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
    ) -> dict[str, uuid.UUID]:
        """The chunk's delivery rows (existing dedupe keys left alone); their ids by key."""
        keys = [row["dedupe_key"] for row in rows]
        await self._fetch(
            _INSERT_CAMPAIGN,
            [row["id"] for row in rows],
            keys,
            campaign["event_id"],
            campaign["campaign_id"],
            campaign["subject"],
            campaign["correlation_id"],
            [row["recipient"] for row in rows],
            [row["recipient_name"] for row in rows],
        )
        found = await self._fetch(
            "SELECT dedupe_key, id FROM deliveries WHERE dedupe_key = ANY($1::text[])", keys
        )
        return {row["dedupe_key"]: row["id"] for row in found}

    async def event_state(self, event_id: uuid.UUID) -> str | None:
        """The replica's event state as JSON text (None if it does not hold the event yet)."""
        rows = await self._fetch("SELECT state::text FROM events WHERE event_id = $1", event_id)
        return str(rows[0][0]) if rows else None

    async def confirm(
        self,
        *,
        consumer: str,
        message_id: uuid.UUID,
        booking: BookingState,
        event_version: int,
        due: Sequence[Due],
        delivery: Mapping[str, Any],
        hourly_cap: int,
        claim_token: uuid.UUID,
        lease: float,
    ) -> Confirmed:
        """`CONFIRM_SQL` for one booking message and its composed email (`delivery`: id,
        dedupe_key, kind, recipient, recipient_name, subject, message, message_id,
        correlation_id), its row claimed under `claim_token` for `lease` seconds."""
        [row] = await self._fetch(
            CONFIRM_SQL,
            consumer,
            message_id,
            booking.booking_id,
            booking.event_id,
            booking.version,
            booking.status,
            booking.campaign_id,
            booking.model_dump_json(),
            [d.session_id for d in due],
            [int(d.offset.total_seconds()) for d in due],
            [d.due_at for d in due],
            delivery["id"],
            delivery["dedupe_key"],
            delivery["kind"],
            delivery["recipient"],
            delivery["recipient_name"],
            delivery["subject"],
            delivery["message"],
            delivery["message_id"],
            delivery["correlation_id"],
            hourly_cap > 0 and not str(delivery["kind"]).startswith("test:"),
            hourly_cap,
            event_version,
            claim_token,
            lease,
        )
        queued = (row["id"], State(row["state"]), int(row["suppressed"])) if row["id"] else None
        return Confirmed(
            bool(row["event_current"]),
            bool(row["claimed"]),
            bool(row["applied"]),
            queued,
            row["created_at"],
        )

    async def campaign_status(self, campaign_id: uuid.UUID) -> str | None:
        rows = await self._fetch("SELECT status FROM campaigns WHERE id = $1", campaign_id)
        return str(rows[0]["status"]) if rows else None

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
