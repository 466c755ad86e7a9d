"""Staff and operations auth: bearer JWTs signed with Ed25519 (EdDSA) carrying the person, their
roles and the programmes they are limited to.

The console signs a token for each call it makes; the services verify with a public key or a
JWKS URL (see shared/staff_keys.py) and cannot mint one. For scripts and the local demo:

    python -m shared.auth keygen [--dir var/keys]
    python -m shared.auth mint --role staff [--role ops] [--subject NAME] [--name "Full Name"]
                               [--programme UUID ...] [--minutes 60] [--key FILE]

`keygen` writes staff-signing.key and staff-signing.pub unless they exist (the services read
var/keys/staff-signing.pub in development). `mint` prints a token signed with the private key
in FILE (default: STAFF_TOKEN_SIGNING_KEY_FILE, else var/keys/staff-signing.key).
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.settings import ServiceSettings
from shared.staff_actions import begin_staff_command
from shared.staff_keys import (
    DEV_KEY_DIR,
    DEV_PRIVATE_KEY_FILE,
    JwksKeys,
    KeysUnavailable,
    StaticKeys,
    ensure_dev_keypair,
    generate_keypair,
    key_id,
    load_private_key,
)

__all__ = [
    "ROLES",
    "AdminPrincipal",
    "CheckinPrincipal",
    "OpsPrincipal",
    "Principal",
    "StaffPrincipal",
    "decode_staff_token",
    "generate_keypair",
    "require_role",
    "sign_staff_token",
]

ROLES = ("admin", "staff", "checkin", "ops")
# `admin` satisfies every role check.
SUPERUSER_ROLE = "admin"
ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "gm-programme"
_bearer = HTTPBearer(auto_error=False, description="An EdDSA-signed JWT with a `roles` claim")


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    name: str | None = None
    # The programme ids (canonical UUID text) this person is limited to; None means all.
    programmes: frozenset[str] | None = None

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return SUPERUSER_ROLE in self.roles or not self.roles.isdisjoint(roles)

    def may_see_programme(self, programme_id: uuid.UUID | str | None) -> bool:
        """Whether this person may act on something of `programme_id` (None: belongs to no
        programme, which only an unrestricted person may touch)."""
        if self.programmes is None:
            return True
        return programme_id is not None and str(programme_id) in self.programmes


def _canonical_programmes(programmes: Iterable[Any]) -> list[str]:
    return sorted({str(uuid.UUID(str(p))) for p in programmes})


def sign_staff_token(
    private_key_pem: str,
    *,
    subject: str,
    roles: Sequence[str],
    name: str | None = None,
    programmes: Sequence[str] | None = None,
    issuer: str = DEFAULT_ISSUER,
    ttl: timedelta = timedelta(minutes=5),
) -> str:
    """A staff token signed with an Ed25519 private key (PEM); `programmes` None = all."""
    key = load_private_key(private_key_pem)
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": list(roles),
        "iss": issuer,
        "iat": now,
        "exp": now + ttl,
    }
    if name is not None:
        claims["name"] = name
    if programmes is not None:
        claims["programmes"] = _canonical_programmes(programmes)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": key_id(key.public_key())})


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise jwt.InvalidTokenError("roles must be a list of names")
    name = claims.get("name")
    if name is not None and not isinstance(name, str):
        raise jwt.InvalidTokenError("name must be text")
    programmes = claims.get("programmes")
    if programmes is not None:
        if not isinstance(programmes, list):
            raise jwt.InvalidTokenError("programmes must be a list of ids")
        try:
            programmes = frozenset(_canonical_programmes(programmes))
        except ValueError:
            raise jwt.InvalidTokenError("programmes must be a list of ids") from None
    return Principal(
        subject=str(claims["sub"]), roles=frozenset(roles), name=name, programmes=programmes
    )


async def decode_staff_token(token: str, keys: StaticKeys | JwksKeys, *, issuer: str) -> Principal:
    """Verify a token against `keys`: EdDSA only (no `none`, no HS256 with a public key as the
    secret), a known `kid`, our issuer, and `exp`, `iat` and `sub` present."""
    header = jwt.get_unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise jwt.InvalidAlgorithmError("staff tokens are signed with EdDSA")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise jwt.InvalidTokenError("the token names no key")
    key = await keys.key_for(kid)
    if key is None:
        raise jwt.InvalidTokenError("the token is signed by an unknown key")
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=issuer,
        options={"require": ["exp", "iat", "sub", "iss"]},
    )
    return principal_from_claims(claims)


def keys_for(settings: ServiceSettings) -> StaticKeys | JwksKeys:
    """Where a service's staff tokens are checked: a JWKS URL wins over PEM keys."""
    if settings.staff_token_jwks_url:
        return JwksKeys(settings.staff_token_jwks_url, timeout=settings.staff_token_jwks_timeout)
    return StaticKeys(settings.staff_token_public_key, settings.staff_token_public_key_file)


def _app_keys(request: Request) -> StaticKeys | JwksKeys:
    state = request.app.state
    keys = getattr(state, "staff_token_keys", None)
    if keys is None:
        keys = state.staff_token_keys = keys_for(state.settings)
    return keys


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=reason,
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_role(*roles: str) -> Callable[..., Any]:
    """A dependency: 401 without a valid token, 403 when the token has none of `roles` (and is
    not an admin's)."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorised("a bearer token is required")
        settings: ServiceSettings = request.app.state.settings
        try:
            principal = await decode_staff_token(
                credentials.credentials, _app_keys(request), issuer=settings.jwt_issuer
            )
        except KeysUnavailable:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="staff tokens cannot be checked: no public key is available",
            ) from None
        except jwt.ExpiredSignatureError:
            raise _unauthorised("the token has expired") from None
        except jwt.InvalidTokenError:
            raise _unauthorised("the token is not valid") from None
        if not principal.has_any_role(roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this needs the role: {' or '.join(roles)}"
            )
        route = request.scope.get("route")
        begin_staff_command(
            principal,
            request.method,
            getattr(route, "path", request.url.path),
            request.path_params,
        )
        return principal

    dependency.required_roles = roles  # type: ignore[attr-defined]
    return dependency


StaffPrincipal = Annotated[Principal, Depends(require_role("staff"))]
OpsPrincipal = Annotated[Principal, Depends(require_role("ops", "staff"))]
CheckinPrincipal = Annotated[Principal, Depends(require_role("checkin", "staff"))]
AdminPrincipal = Annotated[Principal, Depends(require_role("admin"))]


def _default_key_file() -> str:
    return os.environ.get("STAFF_TOKEN_SIGNING_KEY_FILE") or str(DEV_PRIVATE_KEY_FILE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.auth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="create a signing key pair unless it exists")
    keygen.add_argument("--dir", type=Path, default=DEV_KEY_DIR)
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", action="append", choices=ROLES, required=True)
    mint.add_argument("--subject", default="local-staff")
    mint.add_argument("--name", default=None)
    mint.add_argument("--programme", action="append", default=None, help="limit to this id")
    mint.add_argument("--minutes", type=float, default=60)
    mint.add_argument("--key", default=None, help="private key PEM file")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        made = ensure_dev_keypair(args.dir / "staff-signing.key", args.dir / "staff-signing.pub")
        print(f"{'created' if made else 'kept'} {args.dir}/staff-signing.key and .pub")
        return 0
    key_file = Path(args.key or _default_key_file())
    try:
        private_pem = key_file.read_text()
    except OSError as exc:
        parser.error(f"cannot read the signing key {key_file}: {exc.strerror}")
    try:
        programmes = _canonical_programmes(args.programme) if args.programme else None
    except ValueError:
        parser.error("--programme takes a programme id (a UUID)")
    print(
        sign_staff_token(
            private_pem,
            subject=args.subject,
            name=args.name,
            roles=args.role,
            programmes=programmes,
            issuer=os.environ.get("JWT_ISSUER") or DEFAULT_ISSUER,
            ttl=timedelta(minutes=args.minutes),
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
