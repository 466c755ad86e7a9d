"""Privacy requests and answers in the console's database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.console.persistence.tables import audit_log
from services.console.privacy.tables import privacy_answers, privacy_requests
from shared.db import UnitOfWork


@dataclass
class Request:
    id: uuid.UUID
    kind: str
    address_hash: str
    requested_by: str
    requested_by_name: str | None
    requested_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    answered: dict[str, datetime] = field(default_factory=dict)


async def add(uow: UnitOfWork, **values: Any) -> None:
    await uow.execute(sa.insert(privacy_requests).values(**values))


async def get(uow: UnitOfWork, request_id: uuid.UUID, *, lock: bool = False) -> Request | None:
    query = sa.select(*[c for c in privacy_requests.c if c.name not in ("archive", "email")]).where(
        privacy_requests.c.id == request_id
    )
    row = (await uow.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
    found = Request(**dict(row._mapping))
    answers = await uow.execute(
        sa.select(privacy_answers.c.service, privacy_answers.c.answered_at).where(
            privacy_answers.c.request_id == request_id
        )
    )
    found.answered = {a.service: a.answered_at for a in answers}
    return found


async def recent(uow: UnitOfWork, limit: int = 50) -> list[Request]:
    ids = await uow.execute(
        sa.select(privacy_requests.c.id)
        .order_by(privacy_requests.c.requested_at.desc())
        .limit(limit)
    )
    found = [await get(uow, row.id) for row in ids]
    return [r for r in found if r is not None]


async def add_answer(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    service: str,
    *,
    now: datetime,
    records: dict[str, Any] | None = None,
    counts: dict[str, int] | None = None,
) -> bool:
    done = await uow.execute(
        pg_insert(privacy_answers)
        .values(
            request_id=request_id, service=service, answered_at=now, records=records, counts=counts
        )
        .on_conflict_do_nothing()
    )
    return bool(done.rowcount)


async def answer_records(uow: UnitOfWork, request_id: uuid.UUID) -> dict[str, Any]:
    rows = await uow.execute(
        sa.select(privacy_answers.c.service, privacy_answers.c.records).where(
            privacy_answers.c.request_id == request_id
        )
    )
    return {row.service: row.records or {} for row in rows}


async def complete(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    *,
    now: datetime,
    expires_at: datetime | None = None,
    archive: dict[str, Any] | None = None,
) -> None:
    await uow.execute(
        sa.update(privacy_requests)
        .where(privacy_requests.c.id == request_id)
        .values(completed_at=now, expires_at=expires_at, archive=archive)
    )
    # The answers' copies are in the archive now (or, for an erasure, were only counts).
    await uow.execute(
        sa.update(privacy_answers)
        .where(privacy_answers.c.request_id == request_id)
        .values(records=None)
    )


async def email_of(uow: UnitOfWork, request_id: uuid.UUID) -> str:
    row = (
        await uow.execute(
            sa.select(privacy_requests.c.email).where(privacy_requests.c.id == request_id)
        )
    ).one()
    return str(row.email)


async def archive_of(uow: UnitOfWork, request_id: uuid.UUID, now: datetime) -> Any:
    row = (
        await uow.execute(
            sa.select(privacy_requests.c.archive).where(
                privacy_requests.c.id == request_id,
                privacy_requests.c.kind == "export",
                privacy_requests.c.expires_at > now,
            )
        )
    ).first()
    return row.archive if row else None


async def drop_expired_archives(uow: UnitOfWork, now: datetime) -> int:
    done = await uow.execute(
        sa.update(privacy_requests)
        .where(
            privacy_requests.c.expires_at <= now,
            sa.or_(privacy_requests.c.archive.is_not(None), privacy_requests.c.email.is_not(None)),
        )
        .values(archive=None, email=None)
    )
    return int(done.rowcount or 0)


async def audit_about(uow: UnitOfWork, target_ids: list[str]) -> list[dict[str, Any]]:
    """Audit entries about the person: about their bookings, or their privacy requests."""
    if not target_ids:
        return []
    rows = await uow.execute(
        sa.select(
            audit_log.c.occurred_at,
            audit_log.c.source,
            audit_log.c.actor_name,
            audit_log.c.action,
            audit_log.c.target_type,
            audit_log.c.target_id,
            audit_log.c.summary,
        )
        .where(audit_log.c.target_id.in_(target_ids))
        .order_by(audit_log.c.occurred_at)
    )
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r._mapping.items()}
        for r in rows
    ]


async def request_ids_for(uow: UnitOfWork, address_hash: str) -> list[str]:
    rows = await uow.execute(
        sa.select(privacy_requests.c.id).where(privacy_requests.c.address_hash == address_hash)
    )
    return [str(r.id) for r in rows]


async def forget_exports(uow: UnitOfWork, address_hash: str) -> list[uuid.UUID]:
    """An erased person's earlier exports: their archives and addresses go; ids returned."""
    rows = await uow.execute(
        sa.update(privacy_requests)
        .where(privacy_requests.c.address_hash == address_hash, privacy_requests.c.kind == "export")
        .values(archive=None, email=None)
        .returning(privacy_requests.c.id)
    )
    ids = [row.id for row in rows]
    if ids:
        await uow.execute(
            sa.update(privacy_answers)
            .where(privacy_answers.c.request_id.in_(ids))
            .values(records=None)
        )
    return ids
