"""Delivery rows: one per email. The states and moves are domain/deliveries.py's; the
statements here only guard each move with the state it comes from and, for a row being
sent, the claim token of its sender (fencing: a sender whose lease lapsed and was taken over
can no longer write anything about it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notifications.domain.deliveries import Delivery, Reason, State
from services.notifications.persistence.tables import deliveries
from shared.db import UnitOfWork

# Claimable: queued; deferred and due; or `sending` by a sender whose lease lapsed. The new
# claim gets a fresh token, so the old holder's late outcome matches nothing.
# Parameters: $1 ids, $2 the claim token, $3 the lease in seconds (run on asyncpg).
CLAIM_SQL = """
    UPDATE deliveries AS d
       SET state = 'sending', claim_token = $2,
           lease_until = now() + make_interval(secs => $3),
           attempts = d.attempts + 1, updated_at = now()
     WHERE d.id = ANY($1::uuid[])
       AND (d.state = 'queued'
            OR (d.state = 'deferred' AND d.next_attempt_at <= now())
            OR (d.state = 'sending' AND d.lease_until < now()))
    RETURNING d.id, d.kind, d.recipient, d.recipient_name, d.subject, d.message, d.message_id,
              d.booking_id, d.event_id, d.campaign_id, d.correlation_id, d.attempts,
              d.created_at, d.claim_token
"""

# What the retry pass sends: deferred and due, transactional rows still queued a while after
# they were written (their process died before its send), and claims whose lease lapsed
# (their sender died or lost its database). Transactional first; a campaign's only while it
# is running. Parameters: $1 queued before, $2 transactional (bool), $3 limit.
DUE_SQL = """
    SELECT d.id, d.campaign_id FROM deliveries AS d
      LEFT JOIN campaigns AS c ON c.id = d.campaign_id
     WHERE ((d.state = 'deferred' AND d.next_attempt_at <= now())
            OR (d.state = 'sending' AND d.lease_until < now())
            OR (d.state = 'queued' AND d.campaign_id IS NULL AND d.created_at < $1))
       AND (d.campaign_id IS NULL) = $2
       AND (d.campaign_id IS NULL OR c.status IN ('running', 'completed'))
     ORDER BY COALESCE(d.next_attempt_at, d.created_at)
     LIMIT $3
"""

# The mail server is back: everything it deferred is due now, instead of at its backed-off time.
PULL_FORWARD_SQL = """
    UPDATE deliveries SET next_attempt_at = now()
     WHERE state = 'deferred' AND reason = 'server_unavailable' AND next_attempt_at > now()
"""

_COLUMNS = [deliveries.c[name] for name in Delivery.__dataclass_fields__]


# Written once as text: built with the expression language on every call, this statement cost
# ~0.3 ms of CPU more per email (statement construction and cache-key generation). The
# recipient's count of the last hour comes with the insert, so the cap costs no round trip;
# the rule itself is domain.deliveries.state_at_queue, mirrored in the CASE.
_QUEUE = sa.text(
    """
    WITH recent AS (
        SELECT count(*) FILTER (WHERE state <> 'suppressed') AS n,
               count(*) FILTER (WHERE state = 'suppressed') AS suppressed
          FROM deliveries
         WHERE campaign_id IS NULL AND lower(recipient) = lower(:recipient)
           AND created_at > now() - interval '1 hour' AND kind NOT LIKE 'test:%'
    )
    INSERT INTO deliveries (id, dedupe_key, kind, booking_id, event_id, recipient,
                            recipient_name, subject, message, message_id, correlation_id, state,
                            reason)
    SELECT :id, :dedupe_key, :kind, :booking_id, :event_id, :recipient, :recipient_name,
           :subject, :message, :message_id, :correlation_id,
           CASE WHEN :capped AND recent.n >= :cap THEN 'suppressed' ELSE 'queued' END,
           CASE WHEN :capped AND recent.n >= :cap THEN 'recipient_cap' END
      FROM recent
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, state, (SELECT suppressed FROM recent) AS suppressed
    """
).bindparams(sa.bindparam("message", type_=sa.LargeBinary))


async def queue(
    uow: UnitOfWork,
    *,
    id: uuid.UUID,
    dedupe_key: str,
    kind: str,
    recipient: str,
    subject: str,
    message: bytes,
    hourly_cap: int,
    message_id: str | None = None,
    recipient_name: str | None = None,
    booking_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
) -> tuple[uuid.UUID, State, int] | None:
    """Insert a delivery, queued or (over the recipient's hourly cap) suppressed; with how
    many were suppressed for this recipient before it in the last hour. None if one with the
    same dedupe key exists."""
    row = (
        await uow.execute(
            _QUEUE,
            {
                "id": id,
                "dedupe_key": dedupe_key,
                "kind": kind,
                "booking_id": booking_id,
                "event_id": event_id,
                "recipient": recipient,
                "recipient_name": recipient_name,
                "subject": subject,
                "message": message,
                "message_id": message_id,
                "correlation_id": correlation_id,
                "capped": hourly_cap > 0 and not kind.startswith("test:"),
                "cap": hourly_cap,
            },
        )
    ).first()
    return (row.id, State(row.state), int(row.suppressed)) if row else None


async def queue_many(uow: UnitOfWork, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert many queued deliveries in one statement; existing dedupe keys are left alone."""
    if rows:
        await uow.execute(
            pg_insert(deliveries).on_conflict_do_nothing(index_elements=[deliveries.c.dedupe_key]),
            [{"state": State.QUEUED, **row} for row in rows],
        )


async def ids_for_keys(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, uuid.UUID]:
    rows = await uow.execute(
        sa.select(deliveries.c.dedupe_key, deliveries.c.id).where(
            deliveries.c.dedupe_key.in_(list(keys))
        )
    )
    return {row.dedupe_key: row.id for row in rows}


async def states(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await uow.execute(
        sa.select(deliveries.c.id, deliveries.c.state).where(deliveries.c.id.in_(list(ids)))
    )
    return {row.id: row.state for row in rows}


async def get(uow: UnitOfWork, delivery_id: uuid.UUID) -> Delivery | None:
    row = (await uow.execute(sa.select(*_COLUMNS).where(deliveries.c.id == delivery_id))).first()
    return Delivery(**row._mapping) if row else None


async def message_of(uow: UnitOfWork, delivery_id: uuid.UUID) -> bytes | None:
    row = (
        await uow.execute(sa.select(deliveries.c.message).where(deliveries.c.id == delivery_id))
    ).first()
    return row.message if row else None


async def search(
    uow: UnitOfWork,
    *,
    booking_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    state: str | None = None,
    email: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    query = sa.select(*_COLUMNS).order_by(deliveries.c.created_at, deliveries.c.id).limit(limit)
    if email is not None:
        query = query.where(sa.func.lower(deliveries.c.recipient) == email.strip().lower())
    if booking_id is not None:
        query = query.where(deliveries.c.booking_id == booking_id)
    if campaign_id is not None:
        query = query.where(deliveries.c.campaign_id == campaign_id)
    if state is not None:
        query = query.where(deliveries.c.state == state)
    return [Delivery(**row._mapping) for row in await uow.execute(query)]


async def campaign_counts(uow: UnitOfWork, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = await uow.execute(
        sa.select(deliveries.c.state, sa.func.count())
        .where(deliveries.c.campaign_id == campaign_id)
        .group_by(deliveries.c.state)
    )
    return {row[0]: row[1] for row in rows}


async def readdress(
    uow: UnitOfWork, delivery_id: uuid.UUID, recipient: str, message: bytes | None
) -> None:
    """A failed email's corrected address (and its stored message, rewritten for it)."""
    values: dict[str, object] = {"recipient": recipient, "updated_at": sa.func.now()}
    if message is not None:
        values["message"] = message
    await uow.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.state == State.FAILED)
        .values(**values)
    )


async def resend(uow: UnitOfWork, delivery_id: uuid.UUID) -> Delivery | None:
    """failed -> deferred and due now (domain.deliveries.resendable): the next retry pass of
    any process sends it. Its deadline starts afresh (`created_at`)."""
    result = await uow.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.state == State.FAILED)
        .values(
            state=State.DEFERRED,
            reason=None,
            next_attempt_at=sa.func.now(),
            created_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
        .returning(*_COLUMNS)
    )
    row = result.first()
    return Delivery(**row._mapping) if row else None


async def expire(uow: UnitOfWork, *, written_before: datetime) -> list[Delivery]:
    """Deferred emails past their deadline (domain.deliveries.expired) fail, reason `deadline`.
    Run by the retry pass, so the deadline holds even while the server is still away."""
    result = await uow.execute(
        sa.update(deliveries)
        .where(deliveries.c.state == State.DEFERRED, deliveries.c.created_at < written_before)
        .values(state=State.FAILED, reason=Reason.DEADLINE, updated_at=sa.func.now())
        .returning(*_COLUMNS)
    )
    return [Delivery(**row._mapping) for row in result]
