"""Staff accounts as an admin changes them: add, change roles, programmes and state, set a
password, end someone's sessions. Each change is audited; the last active admin stays."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from services.console.domain.audit import own_action
from services.console.domain.passwords import hash_password, password_problem
from services.console.domain.roles import clean_roles
from services.console.persistence import accounts, audit, sessions
from services.console.persistence.accounts import Account
from shared.db import Database

LAST_ADMIN = "this is the last active administrator: give another person the admin role first"


class Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check(email: str, name: str, roles: Sequence[str], password: str) -> None:
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise Refused("email", "enter an email address")
    if not name or len(name) > 200:
        raise Refused("name", "enter a name of at most 200 characters")
    if not roles:
        raise Refused("roles", "give at least one role")
    if password and (problem := password_problem(password)):
        raise Refused("password", problem)


async def add(
    db: Database,
    admin: Account,
    *,
    email: str,
    name: str,
    roles: Sequence[str],
    programmes: Sequence[str],
    password: str,
) -> Account:
    roles = clean_roles(roles)
    _check(email, name, roles, password)
    async with db.unit_of_work() as uow:
        if await accounts.by_email(uow, email):
            raise Refused("email", "a staff account with this email exists already")
        made = await accounts.create(
            uow,
            email=email,
            name=name,
            roles=roles,
            programmes=programmes,
            password_hash=hash_password(password) if password else None,
            # Without a password the person signs in through the organisation's provider.
            state="active" if password else "invited",
        )
        await audit.record(
            uow,
            own_action(
                admin,
                "staff_account.created",
                target_type="staff_account",
                target_id=str(made.id),
                summary=f"roles {', '.join(roles)}",
            ),
        )
        await uow.commit()
    return made


async def change(
    db: Database,
    admin: Account,
    account_id: uuid.UUID,
    *,
    name: str,
    roles: Sequence[str],
    programmes: Sequence[str],
    state: str,
    password: str,
) -> Account:
    roles = clean_roles(roles)
    if state not in ("invited", "active", "disabled"):
        raise Refused("state", "choose a state")
    async with db.unit_of_work() as uow:
        await accounts.lock_accounts(uow)
        before = await accounts.get(uow, account_id)
        if before is None:
            raise Refused("_", "no such staff account")
        _check(before.email, name, roles, password)
        values: dict[str, object] = {
            "name": name,
            "roles": roles,
            "programmes": list(programmes),
            "state": state,
        }
        if password:
            values["password_hash"] = hash_password(password)
            if state == "invited":
                values["state"] = "active"
        after = await accounts.update(uow, account_id, **values)
        assert after is not None
        was_admin = "admin" in before.roles and before.active
        if was_admin and await accounts.active_admins(uow) == 0:
            raise Refused("roles", LAST_ADMIN)
        if not after.active:
            await sessions.end_all(uow, account_id)
        summary = _summary(before, after, bool(password))
        await audit.record(
            uow,
            own_action(
                admin,
                "staff_account.changed",
                target_type="staff_account",
                target_id=str(account_id),
                summary=summary,
            ),
        )
        await uow.commit()
    return after


def _summary(before: Account, after: Account, new_password: bool) -> str:
    parts = []
    if before.roles != after.roles:
        parts.append(
            f"roles {', '.join(before.roles) or 'none'} -> {', '.join(after.roles) or 'none'}"
        )
    if before.programmes != after.programmes:
        parts.append(
            f"programmes limited to {len(after.programmes)}"
            if after.programmes
            else "every programme"
        )
    if before.state != after.state:
        parts.append(f"state {before.state} -> {after.state}")
    if new_password:
        parts.append("password set")
    return "; ".join(parts) or "no change"


async def end_sessions(db: Database, admin: Account, account_id: uuid.UUID) -> int:
    async with db.unit_of_work() as uow:
        ended = await sessions.end_all(uow, account_id)
        await audit.record(
            uow,
            own_action(
                admin,
                "staff_account.sessions_ended",
                target_type="staff_account",
                target_id=str(account_id),
                summary=f"{ended} session(s) ended",
            ),
        )
        await uow.commit()
    return ended


async def sessions_of(
    db: Database, account_id: uuid.UUID, idle_minutes: int
) -> list[sessions.Session]:
    async with db.unit_of_work() as uow:
        return await sessions.of_account(uow, account_id, idle=timedelta(minutes=idle_minutes))


async def ensure_demo_admin(db: Database, *, email: str, password: str) -> bool:
    """The demo admin `make run` prints; True if it was made now (running again changes nothing)."""
    async with db.unit_of_work() as uow:
        if await accounts.by_email(uow, email):
            return False
        made = await accounts.create(
            uow,
            email=email,
            name="Demo Admin",
            roles=["admin", "staff", "ops"],
            password_hash=hash_password(password),
        )
        await audit.record(
            uow,
            own_action(
                None,
                "staff_account.created",
                target_type="staff_account",
                target_id=str(made.id),
                actor_label="seed",
                summary="demo admin for local development",
            ),
        )
        await uow.commit()
    return True
