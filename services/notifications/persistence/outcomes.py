"""Recording what became of a claimed delivery: sent (in batches), deferred or failed (as the
domain decided), each fenced by the claim token; and cancelling a campaign's unsent emails."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from services.notifications.domain.deliveries import Decision, State
from services.notifications.persistence.hotpath import MARK_SENT_SQL
from services.notifications.persistence.tables import deliveries
from shared.db import UnitOfWork

# The hot path's statement with SQLAlchemy's named parameters.
_MARK_SENT = sa.text(
    MARK_SENT_SQL.replace("$1", ":ids")
    .replace("$2", ":answers")
    .replace("$3", ":times")
    .replace("$4", ":tokens")
).bindparams(
    sa.bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
    sa.bindparam("answers", type_=ARRAY(sa.Text)),
    sa.bindparam("times", type_=ARRAY(TIMESTAMP(timezone=True))),
    sa.bindparam("tokens", type_=ARRAY(UUID(as_uuid=True))),
)


async def mark_sent(
    uow: UnitOfWork, sent: Sequence[tuple[uuid.UUID, str, datetime, uuid.UUID]]
) -> set[uuid.UUID]:
    """Record 250s; returns the ids recorded (the others' claims were taken over)."""
    if not sent:
        return set()
    ids, answers, times, tokens = zip(*sent, strict=True)
    result = await uow.execute(
        _MARK_SENT,
        {
            "ids": list(ids),
            "answers": [a[:500] for a in answers],
            "times": list(times),
            "tokens": list(tokens),
        },
    )
    return {row.id for row in result}


async def apply(
    uow: UnitOfWork, delivery_id: uuid.UUID, token: uuid.UUID, decision: Decision, error: str
) -> bool:
    """Deferred or failed, as decided; False if this claim is no longer the current one."""
    result = await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.state == State.SENDING,
            deliveries.c.claim_token == token,
        )
        .values(
            state=decision.state,
            reason=decision.reason,
            next_attempt_at=decision.next_attempt_at,
            last_error=error[:2000],
            lease_until=None,
            updated_at=sa.func.now(),
        )
        .returning(deliveries.c.id)
    )
    return result.first() is not None


async def cancel_unsent(uow: UnitOfWork, campaign_id: uuid.UUID) -> int:
    result = await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.campaign_id == campaign_id,
            deliveries.c.state.in_((State.QUEUED, State.DEFERRED)),
        )
        .values(state=State.CANCELLED, updated_at=sa.func.now())
    )
    return int(result.rowcount or 0)
