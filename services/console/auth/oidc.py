"""OpenID Connect sign-in (authorization code with PKCE) against the organisation's provider,
with authlib for the protocol and joserfc for the ID token's signature and claims.

Roles: with OIDC_ROLE_MAP set, the groups claim decides the person's console roles at every
sign-in (the provider is the source of truth, so leaving a group takes the role away); with
no map, the person needs a console account (matched by subject, or by email the first time)
and keeps the roles an admin gave it there."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from services.console.settings import ConsoleSettings


class OidcFailed(Exception):
    """The provider's answer cannot sign anyone in; the message is safe to show."""


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    name: str
    groups: tuple[str, ...]


def redirect_uri(settings: ConsoleSettings) -> str:
    return settings.public_base_url.rstrip("/") + "/signin/oidc/callback"


def _client(settings: ConsoleSettings) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value() or None,
        scope="openid email profile",
        redirect_uri=redirect_uri(settings),
        code_challenge_method="S256",
        timeout=settings.service_timeout_seconds,
    )


async def discover(http: httpx.AsyncClient, settings: ConsoleSettings) -> dict[str, Any]:
    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = await http.get(url)
        answer.raise_for_status()
        return answer.json()
    except (httpx.HTTPError, ValueError):
        raise OidcFailed("the identity provider did not answer; try again shortly") from None


@dataclass(frozen=True)
class Flow:
    url: str
    state: str
    nonce: str
    code_verifier: str


async def begin(http: httpx.AsyncClient, settings: ConsoleSettings) -> Flow:
    metadata = await discover(http, settings)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    async with _client(settings) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
        )
    return Flow(url, state, nonce, verifier)


async def finish(
    http: httpx.AsyncClient, settings: ConsoleSettings, *, code: str, nonce: str, verifier: str
) -> Identity:
    metadata = await discover(http, settings)
    try:
        async with _client(settings) as client:
            token = await client.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=verifier
            )
        jwks = (await http.get(metadata["jwks_uri"])).json()
    except Exception:
        raise OidcFailed("the identity provider refused the sign-in") from None
    claims = _verified_claims(token.get("id_token", ""), jwks, settings, nonce, metadata)
    groups = claims.get(settings.oidc_groups_claim) or []
    return Identity(
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        name=str(claims.get("name") or claims.get("email") or claims["sub"]),
        groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
    )


def _verified_claims(
    id_token: str,
    jwks: KeySetSerialization,
    settings: ConsoleSettings,
    nonce: str,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    try:
        decoded = jwt.decode(
            id_token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256", "EdDSA"]
        )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": metadata.get("issuer", settings.oidc_issuer)},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OidcFailed(
            f"the identity provider's answer is not valid ({type(exc).__name__})"
        ) from None
    return decoded.claims


def roles_from_groups(settings: ConsoleSettings, groups: tuple[str, ...]) -> list[str]:
    from services.console.domain.roles import clean_roles

    return clean_roles(settings.oidc_role_map[g] for g in groups if g in settings.oidc_role_map)
