"""Failed sign-ins, counted per key (`account:<email>`, `address:<ip>`) over a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa

from services.console.persistence.tables import signin_failures
from shared.db import UnitOfWork


async def failures(uow: UnitOfWork, key: str, *, window: timedelta) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(signin_failures)
        .where(signin_failures.c.key == key, signin_failures.c.at > sa.func.now() - window)
    )
    return int((await uow.execute(query)).scalar_one())


async def record_failure(uow: UnitOfWork, keys: Sequence[str]) -> None:
    await uow.execute(sa.insert(signin_failures), [{"key": key} for key in keys])


async def clear(uow: UnitOfWork, key: str) -> None:
    await uow.execute(sa.delete(signin_failures).where(signin_failures.c.key == key))
