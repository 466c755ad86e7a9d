"""Server-side sessions: the cookie holds a random id, the table its hash, the account, the
CSRF token and when it was last used (sessions idle too long are over)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from services.console.persistence.tables import sessions
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Session:
    id_hash: str
    account_id: uuid.UUID
    csrf_token: str
    method: str
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def start(
    uow: UnitOfWork, account_id: uuid.UUID, *, method: str, address: str, user_agent: str
) -> str:
    """A new session; returns the cookie's value (shown to the browser only)."""
    cookie = secrets.token_urlsafe(32)
    await uow.execute(
        sa.insert(sessions).values(
            id_hash=digest(cookie),
            account_id=account_id,
            csrf_token=secrets.token_urlsafe(32),
            method=method,
            address=address[:100],
            user_agent=user_agent[:300],
        )
    )
    return cookie


async def resume(uow: UnitOfWork, cookie: str, *, idle: timedelta) -> Session | None:
    """The live session for a cookie, marked as used now; None if unknown or idle too long."""
    query = (
        sa.update(sessions)
        .where(
            sessions.c.id_hash == digest(cookie),
            sessions.c.last_seen_at > sa.func.now() - idle,
        )
        .values(last_seen_at=sa.func.now())
        .returning(sessions)
    )
    row = (await uow.execute(query)).first()
    return Session(**row._mapping) if row else None


async def end(uow: UnitOfWork, cookie: str) -> None:
    await uow.execute(sa.delete(sessions).where(sessions.c.id_hash == digest(cookie)))


async def end_all(uow: UnitOfWork, account_id: uuid.UUID) -> int:
    done = await uow.execute(sa.delete(sessions).where(sessions.c.account_id == account_id))
    return int(done.rowcount or 0)


async def of_account(uow: UnitOfWork, account_id: uuid.UUID, *, idle: timedelta) -> list[Session]:
    query = (
        sa.select(sessions)
        .where(
            sessions.c.account_id == account_id,
            sessions.c.last_seen_at > sa.func.now() - idle,
        )
        .order_by(sessions.c.last_seen_at.desc())
    )
    return [Session(**row._mapping) for row in await uow.execute(query)]


async def sweep(uow: UnitOfWork, *, idle: timedelta) -> None:
    await uow.execute(sa.delete(sessions).where(sessions.c.last_seen_at <= sa.func.now() - idle))
