"""Published outbox rows kept for inspection (`OUTBOX_RETENTION`, shared/messaging/relay.py; by
default none are kept): the ones that carried an erased person's address go at once. An
unpublished row is left alone: it is a message another service still needs, and the relay
removes it once it is sent."""

from __future__ import annotations

import sqlalchemy as sa

from shared.db import UnitOfWork
from shared.messaging.schema import outbox_table as outbox


async def scrub_published(uow: UnitOfWork, needle: str) -> int:
    """Delete published outbox rows whose body mentions `needle` (case-insensitively)."""
    if not needle:
        return 0
    body_text = sa.func.convert_from(outbox.c.body, "UTF8")
    result = await uow.execute(
        sa.delete(outbox).where(
            outbox.c.published_at.is_not(None),
            sa.func.strpos(sa.func.lower(body_text), needle.strip().lower()) > 0,
        )
    )
    return int(result.rowcount or 0)
