"""Loading and saving flat records (a frozen dataclass whose fields are its table's columns)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any, TypeVar

import sqlalchemy as sa

from shared.db import UnitOfWork
from shared.errors import NotFound

T = TypeVar("T")


def columns(table: sa.Table, cls: type) -> list[sa.Column]:
    return [table.c[f.name] for f in fields(cls)]


def of_row(cls: type[T], row: Any) -> T:
    return cls(**row._mapping)


async def get(
    uow: UnitOfWork, table: sa.Table, cls: type[T], id_: uuid.UUID, *, for_update: bool = False
) -> T:
    query = sa.select(*columns(table, cls)).where(table.c.id == id_)
    if for_update:
        query = query.with_for_update()
    row = (await uow.execute(query)).first()
    if row is None:
        what = cls.__name__.lower()
        raise NotFound(f"no such {what}", code=f"{what}_not_found")
    return of_row(cls, row)


async def by_ids(
    uow: UnitOfWork, table: sa.Table, cls: type[T], ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, T]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await uow.execute(sa.select(*columns(table, cls)).where(table.c.id.in_(wanted)))
    return {row.id: of_row(cls, row) for row in rows}


async def all_of(
    uow: UnitOfWork, table: sa.Table, cls: type[T], *order_by: Any, where: Any = None
) -> list[T]:
    query = sa.select(*columns(table, cls)).order_by(*order_by)
    if where is not None:
        query = query.where(where)
    return [of_row(cls, row) for row in await uow.execute(query)]


async def insert(uow: UnitOfWork, table: sa.Table, record: Any, **extra: Any) -> None:
    await uow.execute(sa.insert(table).values(**asdict(record), **extra))


async def update(uow: UnitOfWork, table: sa.Table, record: Any, **extra: Any) -> None:
    values = asdict(record)
    record_id = values.pop("id")
    await uow.execute(
        sa.update(table)
        .where(table.c.id == record_id)
        .values(**values, **extra, updated_at=sa.func.now())
    )


async def delete(uow: UnitOfWork, table: sa.Table, id_: uuid.UUID) -> None:
    await uow.execute(sa.delete(table).where(table.c.id == id_))


async def exists(uow: UnitOfWork, query: Any) -> bool:
    return (await uow.execute(sa.select(sa.literal(1)).where(sa.exists(query)))).first() is not None
