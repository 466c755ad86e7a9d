"""Staff and operations auth: bearer JWTs (HS256) with role claims.

    python -m shared.auth mint --role staff [--role ops] [--subject NAME] [--hours 12]

prints a token signed with JWT_SECRET from the environment (the development default when
unset), for the local demo and for scripts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.settings import ServiceSettings

ROLES = ("staff", "ops")
_bearer = HTTPBearer(auto_error=False, description="A JWT with a `roles` claim")


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]


def mint_token(
    secret: str,
    *,
    roles: Sequence[str],
    subject: str = "local-staff",
    issuer: str = "gm-programme",
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "roles": list(roles), "iss": issuer, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(token: str, secret: str, *, issuer: str) -> Principal:
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        issuer=issuer,
        options={"require": ["exp", "sub", "iss"]},
    )
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        raise jwt.InvalidTokenError("roles must be a list")
    return Principal(subject=str(claims["sub"]), roles=frozenset(map(str, roles)))


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=reason,
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency: 401 without a valid token, 403 when the token lacks every one of `roles`."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorised("a bearer token is required")
        settings: ServiceSettings = request.app.state.settings
        try:
            principal = decode_token(
                credentials.credentials,
                settings.jwt_secret.get_secret_value(),
                issuer=settings.jwt_issuer,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorised("the token has expired") from None
        except jwt.InvalidTokenError:
            raise _unauthorised("the token is not valid") from None
        if not principal.roles.intersection(roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this needs the role: {' or '.join(roles)}"
            )
        return principal

    dependency.required_roles = roles  # type: ignore[attr-defined]
    return dependency


StaffPrincipal = Annotated[Principal, Depends(require_role("staff"))]
OpsPrincipal = Annotated[Principal, Depends(require_role("ops", "staff"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.auth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", action="append", choices=ROLES, required=True)
    mint.add_argument("--subject", default="local-staff")
    mint.add_argument("--hours", type=float, default=12)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    print(
        mint_token(
            settings.jwt_secret.get_secret_value(),
            roles=args.role,
            subject=args.subject,
            issuer=settings.jwt_issuer,
            ttl=timedelta(hours=args.hours),
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
