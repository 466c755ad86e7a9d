"""Addresses that opted out of campaign emails (never consulted for transactional ones)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notifications.domain.emails import email_key
from services.notifications.persistence.tables import opt_outs
from shared.db import UnitOfWork


async def add(uow: UnitOfWork, email: str, campaign_id: uuid.UUID | None) -> bool:
    result = await uow.execute(
        pg_insert(opt_outs)
        .values(email_key=email_key(email), campaign_id=campaign_id)
        .on_conflict_do_nothing()
        .returning(opt_outs.c.email_key)
    )
    return result.first() is not None


async def among(uow: UnitOfWork, keys: Collection[str]) -> set[str]:
    """The opted-out among `keys` (email keys, domain.emails.email_key)."""
    if not keys:
        return set()
    # One array parameter, however large the audience (an IN list has a parameter limit).
    wanted = sa.bindparam("keys", list(keys), type_=ARRAY(sa.Text))
    rows = await uow.execute(
        sa.select(opt_outs.c.email_key).where(opt_outs.c.email_key == sa.any_(wanted))
    )
    return {row.email_key for row in rows}
