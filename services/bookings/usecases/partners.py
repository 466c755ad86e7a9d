"""Partners (widget sites): staff manage them; a booking records the partner it came through."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from services.bookings.persistence import partners as store
from services.bookings.persistence.partners import Partner
from services.bookings.process import TtlCache
from shared.db import Database
from shared.errors import NotFound
from shared.staff_actions import describe_staff_action


def new_key() -> str:
    """A partner's public widget key: it names the partner, it is not a secret."""
    return f"pk_{secrets.token_urlsafe(18)}"


async def create(db: Database, *, name: str, allowed_origins: list[str]) -> Partner:
    now = datetime.now(UTC)
    partner = Partner(uuid.uuid4(), name, new_key(), allowed_origins, True, now, now)
    describe_staff_action(target_id=partner.id)
    async with db.unit_of_work() as uow:
        await store.add(uow, partner)
        await uow.commit()
    return partner


async def get(db: Database, partner_id: uuid.UUID) -> Partner:
    async with db.unit_of_work() as uow:
        partner = await store.get(uow, partner_id)
    if partner is None:
        raise NotFound("no such partner", code="partner_not_found")
    return partner


async def listing(db: Database) -> list[Partner]:
    async with db.unit_of_work() as uow:
        return await store.all_partners(uow)


async def update(db: Database, partner_id: uuid.UUID, **changes: Any) -> Partner:
    if changes.pop("rotate_key", False):
        changes["key"] = new_key()
    async with db.unit_of_work() as uow:
        partner = await store.update(uow, partner_id, **changes, updated_at=datetime.now(UTC))
        await uow.commit()
    if partner is None:
        raise NotFound("no such partner", code="partner_not_found")
    return partner


async def active_by_key(
    db: Database, cache: TtlCache[str, Partner | Literal[False]], key: str
) -> Partner | None:
    """The active partner with this widget key, cached for a few seconds per process."""
    cached = cache.get(key)
    if cached is None:
        async with db.unit_of_work() as uow:
            found = await store.by_key(uow, key)
        cached = found if found is not None and found.active else False
        cache.put(key, cached)
    return cached or None
