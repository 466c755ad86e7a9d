"""Partners: the sites that embed the booking widget."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.bookings.persistence.tables import partners
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Partner:
    id: uuid.UUID
    name: str
    key: str
    allowed_origins: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


_COLUMNS = [partners.c[name] for name in Partner.__dataclass_fields__]


def _partner(row: Any) -> Partner:
    m = row._mapping
    return Partner(**{**m, "allowed_origins": list(m["allowed_origins"])})


async def add(uow: UnitOfWork, partner: Partner) -> None:
    await uow.execute(sa.insert(partners).values(**partner.__dict__))


async def get(uow: UnitOfWork, partner_id: uuid.UUID) -> Partner | None:
    row = (await uow.execute(sa.select(*_COLUMNS).where(partners.c.id == partner_id))).first()
    return _partner(row) if row else None


async def by_key(uow: UnitOfWork, key: str) -> Partner | None:
    row = (await uow.execute(sa.select(*_COLUMNS).where(partners.c.key == key))).first()
    return _partner(row) if row else None


async def all_partners(uow: UnitOfWork) -> list[Partner]:
    rows = (await uow.execute(sa.select(*_COLUMNS).order_by(partners.c.name))).all()
    return [_partner(r) for r in rows]


async def update(uow: UnitOfWork, partner_id: uuid.UUID, **values: Any) -> Partner | None:
    row = (
        await uow.execute(
            sa.update(partners)
            .where(partners.c.id == partner_id)
            .values(**values)
            .returning(*_COLUMNS)
        )
    ).first()
    return _partner(row) if row else None
