"""Signed invitation tokens: a campaign's personal booking link carries one, and bookings
verifies it with the same key, so no call between the services is needed.

The token is a compact JWT (HS256, `INVITATION_SIGNING_KEY`) with the event, the invitee's
email (trimmed, lower case), the campaign and an expiry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

_TYPE = "invitation"


@dataclass(frozen=True)
class Invitation:
    event_id: uuid.UUID
    email: str
    campaign_id: uuid.UUID
    expires_at: datetime


class InvalidInvitation(ValueError):
    """The token is malformed, signed with another key, expired, or not an invitation."""


def sign_invitation(
    key: str,
    *,
    event_id: uuid.UUID,
    email: str,
    campaign_id: uuid.UUID,
    expires_at: datetime | None = None,
    ttl: timedelta = timedelta(days=60),
) -> str:
    expiry = expires_at or datetime.now(UTC) + ttl
    claims = {
        "typ": _TYPE,
        "evt": str(event_id),
        "em": email.strip().lower(),
        "cmp": str(campaign_id),
        "exp": expiry,
    }
    return jwt.encode(claims, key, algorithm="HS256")


def verify_invitation(key: str, token: str) -> Invitation:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp"]})
        if claims.get("typ") != _TYPE:
            raise InvalidInvitation("not an invitation token")
        return Invitation(
            event_id=uuid.UUID(claims["evt"]),
            email=str(claims["em"]),
            campaign_id=uuid.UUID(claims["cmp"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except jwt.ExpiredSignatureError:
        raise InvalidInvitation("the invitation has expired") from None
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidInvitation(f"the invitation is not valid: {exc}") from None
