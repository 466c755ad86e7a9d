"""The one place the console makes the bearer token it sends with each call to a service:
minted per request, minutes of life, carrying the person (sub, name), their roles and the
programmes they are limited to, so every staff action a service records is attributable.

Signed HS256 with the shared `jwt_secret` until the services verify asymmetric tokens; the
switch to `shared.auth.sign_staff_token` (EdDSA) is a change to this file only."""

from __future__ import annotations

from datetime import timedelta

from services.console.persistence.accounts import Account
from services.console.settings import ConsoleSettings
from shared.auth import mint_token

TOKEN_TTL = timedelta(minutes=5)


def service_roles(account: Account) -> list[str]:
    """The services know `staff` and `ops`; an admin acts with staff rights there."""
    roles = set(account.roles)
    if "admin" in roles:
        roles.add("staff")
    return sorted(roles)


def token_for(settings: ConsoleSettings, account: Account) -> str:
    # HS256 tokens carry only sub and roles; name and programmes come with the EdDSA tokens.
    return mint_token(
        settings.jwt_secret.get_secret_value(),
        roles=service_roles(account),
        subject=str(account.id),
        issuer=settings.jwt_issuer,
        ttl=TOKEN_TTL,
    )
