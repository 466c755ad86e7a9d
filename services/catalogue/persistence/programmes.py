"""Programmes and their expectations in a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.catalogue.domain.programmes import Expectation, Programme
from services.catalogue.domain.slugs import looks_like_uuid
from services.catalogue.persistence.tables import event_expectations, expectations, programmes
from shared.db import UnitOfWork
from shared.errors import NotFound

_PROGRAMME = [
    programmes.c.id,
    programmes.c.slug,
    programmes.c.name,
    programmes.c.description,
    programmes.c.privacy_notice_url,
    programmes.c.privacy_notice_version,
]


async def _expectations_of(
    uow: UnitOfWork, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Expectation]]:
    rows = await uow.execute(
        sa.select(
            expectations.c.programme_id,
            expectations.c.code,
            expectations.c.name,
            expectations.c.description,
        )
        .where(expectations.c.programme_id.in_(set(ids)))
        .order_by(expectations.c.position)
    )
    found: dict[uuid.UUID, list[Expectation]] = {}
    for row in rows:
        found.setdefault(row.programme_id, []).append(
            Expectation(row.code, row.name, row.description)
        )
    return found


async def _load(uow: UnitOfWork, query: sa.Select) -> list[Programme]:
    rows = (await uow.execute(query)).all()
    tags = await _expectations_of(uow, [row.id for row in rows])
    return [Programme(**row._mapping, expectations=tuple(tags.get(row.id, []))) for row in rows]


async def get(uow: UnitOfWork, programme_id: uuid.UUID, *, for_update: bool = False) -> Programme:
    query = sa.select(*_PROGRAMME).where(programmes.c.id == programme_id)
    found = await _load(uow, query.with_for_update() if for_update else query)
    if not found:
        raise NotFound("no such programme", code="programme_not_found")
    return found[0]


async def find(uow: UnitOfWork, id_or_slug: str) -> Programme | None:
    column = programmes.c.id if looks_like_uuid(id_or_slug) else programmes.c.slug
    found = await _load(uow, sa.select(*_PROGRAMME).where(column == id_or_slug))
    return found[0] if found else None


async def by_ids(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, Programme]:
    if not ids:
        return {}
    return {
        p.id: p for p in await _load(uow, sa.select(*_PROGRAMME).where(programmes.c.id.in_(ids)))
    }


async def all_programmes(uow: UnitOfWork) -> list[Programme]:
    return await _load(uow, sa.select(*_PROGRAMME).order_by(programmes.c.name))


async def slug_taken(uow: UnitOfWork, slug: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = sa.select(programmes.c.id).where(programmes.c.slug == slug)
    if other_than is not None:
        query = query.where(programmes.c.id != other_than)
    return (await uow.execute(query)).first() is not None


async def add(uow: UnitOfWork, programme: Programme) -> None:
    await uow.execute(
        sa.insert(programmes).values(
            id=programme.id,
            slug=programme.slug,
            name=programme.name,
            description=programme.description,
            privacy_notice_url=programme.privacy_notice_url,
            privacy_notice_version=programme.privacy_notice_version,
        )
    )
    await _save_expectations(uow, programme)


async def save(uow: UnitOfWork, programme: Programme) -> None:
    await uow.execute(
        sa.update(programmes)
        .where(programmes.c.id == programme.id)
        .values(
            slug=programme.slug,
            name=programme.name,
            description=programme.description,
            privacy_notice_url=programme.privacy_notice_url,
            privacy_notice_version=programme.privacy_notice_version,
            updated_at=sa.func.now(),
        )
    )
    await _save_expectations(uow, programme)


async def _save_expectations(uow: UnitOfWork, programme: Programme) -> None:
    """Update in place by code, so events' tags (which refer to the row) survive a rename."""
    codes = [e.code for e in programme.expectations]
    await uow.execute(
        sa.delete(expectations).where(
            expectations.c.programme_id == programme.id, expectations.c.code.not_in(codes)
        )
    )
    for position, tag in enumerate(programme.expectations):
        statement = pg_insert(expectations).values(
            id=uuid.uuid4(),
            programme_id=programme.id,
            code=tag.code,
            name=tag.name,
            description=tag.description,
            position=position,
        )
        await uow.execute(
            statement.on_conflict_do_update(
                constraint="uq_expectations_code",
                set_={
                    "name": tag.name,
                    "description": tag.description,
                    "position": position,
                },
            )
        )


async def codes_in_use(uow: UnitOfWork, programme_id: uuid.UUID) -> set[str]:
    rows = await uow.execute(
        sa.select(expectations.c.code)
        .join(event_expectations, event_expectations.c.expectation_id == expectations.c.id)
        .where(expectations.c.programme_id == programme_id)
        .distinct()
    )
    return {row.code for row in rows}


async def delete(uow: UnitOfWork, programme_id: uuid.UUID) -> None:
    await uow.execute(sa.delete(programmes).where(programmes.c.id == programme_id))
