"""Recording what became of deliveries: sent (in batches), failed for now, parked, cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from services.notifications.persistence.tables import deliveries
from shared.db import UnitOfWork

# A 250 is the truth whoever claimed the row last, so `sent` only asks that the row is not
# already final; failures only touch a row this process still holds.
_MARK_SENT = sa.text(
    """
    UPDATE deliveries AS d
       SET state = 'sent', smtp_message_id = v.answer, sent_at = v.sent_at, last_error = NULL,
           parked_reason = NULL, updated_at = now()
      FROM (SELECT unnest(:ids) AS id, unnest(:answers) AS answer, unnest(:times) AS sent_at) v
     WHERE d.id = v.id AND d.state IN ('sending', 'failed', 'queued')
    """
).bindparams(
    sa.bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
    sa.bindparam("answers", type_=ARRAY(sa.Text)),
    sa.bindparam("times", type_=ARRAY(TIMESTAMP(timezone=True))),
)


async def mark_sent(uow: UnitOfWork, sent: Sequence[tuple[uuid.UUID, str, datetime]]) -> None:
    if not sent:
        return
    ids, answers, times = zip(*sent, strict=True)
    await uow.execute(
        _MARK_SENT,
        {"ids": list(ids), "answers": [a[:500] for a in answers], "times": list(times)},
    )


async def mark_failed(uow: UnitOfWork, delivery_id: uuid.UUID, error: str, *, me: int) -> None:
    """Failed for now: a retry of its work message will claim it again."""
    await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.state == "sending",
            deliveries.c.claimed_by == me,
        )
        .values(state="failed", last_error=error[:2000], updated_at=sa.func.now())
    )


async def mark_rejected(uow: UnitOfWork, delivery_id: uuid.UUID, error: str, *, me: int) -> bool:
    """Refused for good by the server (5xx for this recipient): parked, never retried."""
    result = await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.state == "sending",
            deliveries.c.claimed_by == me,
        )
        .values(
            state="parked",
            last_error=error[:2000],
            parked_reason=f"rejected by the mail server: {error}"[:2000],
            updated_at=sa.func.now(),
        )
        .returning(deliveries.c.id)
    )
    return result.first() is not None


@dataclass(frozen=True)
class Parked:
    id: uuid.UUID
    kind: str
    recipient: str
    booking_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    event_id: uuid.UUID | None
    attempts: int


async def park_unsent(uow: UnitOfWork, ids: Sequence[uuid.UUID], error: str) -> list[Parked]:
    """Their work message ran out of retries: parked with the reason, for staff to see (and a
    replay of the parked message sends them after all)."""
    result = await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.id.in_(list(ids)),
            deliveries.c.state.in_(("queued", "failed", "sending")),
        )
        .values(
            state="parked",
            parked_reason=f"retries exhausted: {error}"[:2000],
            updated_at=sa.func.now(),
        )
        .returning(*(deliveries.c[name] for name in Parked.__dataclass_fields__))
    )
    return [Parked(**row._mapping) for row in result]


async def cancel_unsent(uow: UnitOfWork, campaign_id: uuid.UUID) -> int:
    result = await uow.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.campaign_id == campaign_id,
            deliveries.c.state.in_(("queued", "failed")),
        )
        .values(state="cancelled", updated_at=sa.func.now())
    )
    return int(result.rowcount or 0)
