"""Staff accounts: who may sign in, with which roles, limited to which programmes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.console.persistence.tables import accounts
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    name: str
    roles: tuple[str, ...]
    programmes: tuple[str, ...]
    state: str
    has_password: bool
    oidc_subject: str | None
    created_at: datetime
    last_signin_at: datetime | None

    @property
    def active(self) -> bool:
        return self.state == "active"


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        name=row.name,
        roles=tuple(row.roles),
        programmes=tuple(row.programmes),
        state=row.state,
        has_password=row.password_hash is not None,
        oidc_subject=row.oidc_subject,
        created_at=row.created_at,
        last_signin_at=row.last_signin_at,
    )


def email_key(email: str) -> str:
    return email.strip().lower()


async def get(uow: UnitOfWork, account_id: uuid.UUID) -> Account | None:
    row = (await uow.execute(sa.select(accounts).where(accounts.c.id == account_id))).first()
    return _account(row) if row else None


async def with_hash(uow: UnitOfWork, email: str) -> tuple[Account | None, str | None]:
    """The account for an email and its password hash (None, None when there is none)."""
    query = sa.select(accounts).where(accounts.c.email == email_key(email))
    row = (await uow.execute(query)).first()
    return (_account(row), row.password_hash) if row else (None, None)


async def by_oidc_subject(uow: UnitOfWork, subject: str) -> Account | None:
    query = sa.select(accounts).where(accounts.c.oidc_subject == subject)
    row = (await uow.execute(query)).first()
    return _account(row) if row else None


async def by_email(uow: UnitOfWork, email: str) -> Account | None:
    return (await with_hash(uow, email))[0]


async def listing(uow: UnitOfWork) -> list[Account]:
    rows = await uow.execute(sa.select(accounts).order_by(accounts.c.name, accounts.c.email))
    return [_account(r) for r in rows]


async def create(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    roles: Sequence[str],
    programmes: Sequence[str] = (),
    password_hash: str | None = None,
    oidc_subject: str | None = None,
    state: str = "active",
) -> Account:
    row = (
        await uow.execute(
            sa.insert(accounts)
            .values(
                id=uuid.uuid4(),
                email=email_key(email),
                name=name,
                roles=list(roles),
                programmes=list(programmes),
                password_hash=password_hash,
                oidc_subject=oidc_subject,
                state=state,
            )
            .returning(accounts)
        )
    ).one()
    return _account(row)


async def update(uow: UnitOfWork, account_id: uuid.UUID, **values: Any) -> Account | None:
    for name in ("roles", "programmes"):
        if name in values:
            values[name] = list(values[name])
    row = (
        await uow.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(**values)
            .returning(accounts)
        )
    ).first()
    return _account(row) if row else None


async def signed_in(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    await uow.execute(
        sa.update(accounts).where(accounts.c.id == account_id).values(last_signin_at=sa.func.now())
    )


async def active_admins(uow: UnitOfWork) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(accounts)
        .where(accounts.c.state == "active", accounts.c.roles.any("admin"))
    )
    return int((await uow.execute(query)).scalar_one())


async def lock_accounts(uow: UnitOfWork) -> None:
    """Serialises role and state changes, so two admins removing each other at once cannot
    leave the console with none."""
    await uow.execute(sa.text("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE"))
