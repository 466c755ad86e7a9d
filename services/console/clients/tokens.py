"""The one place the console makes the bearer token it sends with each call to a service:
signed per request with the console's Ed25519 key, minutes of life, carrying the person (sub,
name), their roles and the programmes they are limited to, so every staff action a service
records is attributable and each service can refuse what lies outside those programmes."""

from __future__ import annotations

from datetime import timedelta

from services.console.persistence.accounts import Account
from services.console.settings import ConsoleSettings
from shared.auth import sign_staff_token

TOKEN_TTL = timedelta(minutes=5)


def token_for(settings: ConsoleSettings, account: Account) -> str:
    return sign_staff_token(
        settings.signing_key(),
        subject=str(account.id),
        name=account.name,
        roles=list(account.roles),
        # No limit recorded means every programme; the claim is then left out.
        programmes=list(account.programmes) or None,
        issuer=settings.jwt_issuer,
        ttl=TOKEN_TTL,
    )
