"""Signing in and out: password checks under throttling, sessions, and their audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from services.console.domain.audit import own_action
from services.console.domain.passwords import verify_password
from services.console.metrics import SIGNINS_FAILED
from services.console.persistence import accounts, audit, sessions, throttle
from services.console.persistence.accounts import Account
from services.console.settings import ConsoleSettings
from shared.db import Database, UnitOfWork
from shared.logging import get_logger, mask_email

if TYPE_CHECKING:
    from services.console.auth.oidc import Identity

log = get_logger(__name__)


class Throttled(Exception):
    def __init__(self, minutes: int) -> None:
        self.minutes = minutes


@dataclass(frozen=True)
class Client:
    address: str
    user_agent: str


async def sign_in_with_password(
    db: Database, settings: ConsoleSettings, email: str, password: str, client: Client
) -> str | None:
    """A new session's cookie, or None for a wrong email or password (the same answer for
    both). Raises Throttled when this account or this address failed too often lately."""
    window = timedelta(minutes=settings.signin_window_minutes)
    account_key = f"account:{accounts.email_key(email)}"
    address_key = f"address:{client.address}"
    async with db.unit_of_work() as uow:
        if (
            await throttle.failures(uow, account_key, window=window)
            >= settings.signin_failures_per_account
            or await throttle.failures(uow, address_key, window=window)
            >= settings.signin_failures_per_address
        ):
            log.warning("signin.throttled", email=mask_email(email))
            SIGNINS_FAILED.labels("throttled").inc()
            raise Throttled(settings.signin_window_minutes)
        account, password_hash = await accounts.with_hash(uow, email)
        if not verify_password(password_hash, password) or account is None or not account.active:
            await throttle.record_failure(uow, [account_key, address_key])
            if account is not None:
                await audit.record(
                    uow,
                    own_action(
                        None,
                        "session.signin_failed",
                        target_type="staff_account",
                        target_id=str(account.id),
                        actor_label=f"address {client.address}",
                        summary="wrong password or account not active",
                    ),
                )
            await uow.commit()
            log.info("signin.failed", email=mask_email(email))
            SIGNINS_FAILED.labels("wrong").inc()
            return None
        await throttle.clear(uow, account_key)
        cookie = await _start(uow, settings, account, "password", client)
        await uow.commit()
    return cookie


async def _start(
    uow: UnitOfWork, settings: ConsoleSettings, account: Account, method: str, client: Client
) -> str:
    await sessions.sweep(uow, idle=timedelta(minutes=settings.session_idle_minutes))
    cookie = await sessions.start(
        uow, account.id, method=method, address=client.address, user_agent=client.user_agent
    )
    await accounts.signed_in(uow, account.id)
    await audit.record(
        uow,
        own_action(
            account,
            "session.signed_in",
            target_type="staff_account",
            target_id=str(account.id),
            summary=f"signed in ({method})",
        ),
    )
    log.info("signin.succeeded", method=method)
    return cookie


async def start_session(
    db: Database, settings: ConsoleSettings, account: Account, method: str, client: Client
) -> str:
    async with db.unit_of_work() as uow:
        cookie = await _start(uow, settings, account, method, client)
        await uow.commit()
    return cookie


async def sign_out(db: Database, account: Account, cookie: str) -> None:
    async with db.unit_of_work() as uow:
        await sessions.end(uow, cookie)
        await audit.record(
            uow,
            own_action(
                account,
                "session.signed_out",
                target_type="staff_account",
                target_id=str(account.id),
            ),
        )
        await uow.commit()


class NoConsoleRole(Exception):
    """Signed in at the provider, but nothing gives this person a console role."""


async def account_for_identity(
    db: Database, settings: ConsoleSettings, identity: Identity
) -> Account:
    """The console account an OpenID Connect identity signs in as (see auth/oidc.py)."""
    from services.console.auth.oidc import roles_from_groups

    mapped = roles_from_groups(settings, identity.groups)
    async with db.unit_of_work() as uow:
        account = await accounts.by_oidc_subject(uow, identity.subject)
        if account is None and identity.email:
            account = await accounts.by_email(uow, identity.email)
            if account is not None and account.oidc_subject is None:
                account = await accounts.update(uow, account.id, oidc_subject=identity.subject)
        if settings.oidc_role_map:
            if not mapped:
                raise NoConsoleRole()
            if account is None:
                account = await accounts.create(
                    uow,
                    email=identity.email or f"{identity.subject}@oidc.invalid",
                    name=identity.name,
                    roles=mapped,
                    oidc_subject=identity.subject,
                )
            elif list(account.roles) != mapped:
                account = await accounts.update(uow, account.id, roles=mapped)
        if account is None or not account.active or not account.roles:
            raise NoConsoleRole()
        await uow.commit()
    return account
