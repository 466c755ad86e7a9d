"""Campaign emails not yet sent to one address, cancelled with the reason when the address
opts out, bounces or declines while a campaign is sending (not only for later campaigns).
An email already claimed by a sender (`sending`) is left to finish: it is on the wire."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared.db import UnitOfWork

_CANCEL = """
    UPDATE deliveries AS d SET state = 'cancelled', reason = :reason, updated_at = now()
      FROM campaigns AS c
     WHERE c.id = d.campaign_id AND d.state IN ('queued', 'deferred')
       AND lower(d.recipient) = lower(trim(:email)) AND {which}
"""

_OPTED_OUT = sa.text(_CANCEL.format(which="c.kind <> 'announcement'"))
_DECLINED = sa.text(_CANCEL.format(which="c.kind = 'follow_up' AND c.event_id = :event_id"))


async def cancel_for_opt_out(uow: UnitOfWork, email: str) -> int:
    result = await uow.execute(_OPTED_OUT, {"reason": "opted_out", "email": email})
    return int(result.rowcount or 0)


async def cancel_for_answer(uow: UnitOfWork, email: str, event_id: uuid.UUID) -> int:
    params = {"reason": "declined", "email": email, "event_id": event_id}
    result = await uow.execute(_DECLINED, params)
    return int(result.rowcount or 0)
