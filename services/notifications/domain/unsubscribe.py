"""One-click unsubscribe tokens: the address (trimmed, lower case) and the campaign it came
from, signed (HS256) with this service's own key. They do not expire: an old email's link
must keep working."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

import jwt

_TYPE = "unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    email: str
    campaign_id: uuid.UUID | None


class InvalidUnsubscribe(ValueError):
    pass


def sign_unsubscribe(key: str, *, email: str, campaign_id: uuid.UUID | None) -> str:
    claims = {"typ": _TYPE, "em": email.strip().lower(), "cmp": str(campaign_id or "")}
    return jwt.encode(claims, key, algorithm="HS256")


class UnsubscribeSigner:
    """`sign_unsubscribe` for every invitee of a campaign, with the key schedule and header
    prepared once (the same tokens; a test holds it to that)."""

    _HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")

    def __init__(self, key: str, campaign_id: uuid.UUID | None) -> None:
        self._mac = hmac.new(key.encode(), digestmod=hashlib.sha256)
        self._campaign = str(campaign_id or "")

    def sign(self, email: str) -> str:
        claims = {"typ": _TYPE, "em": email.strip().lower(), "cmp": self._campaign}
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self._HEADER + b"." + payload.rstrip(b"=")
        mac = self._mac.copy()
        mac.update(signing_input)
        return (signing_input + b"." + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")).decode()


def verify_unsubscribe(key: str, token: str) -> Unsubscribe:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
        if claims.get("typ") != _TYPE or not claims.get("em"):
            raise InvalidUnsubscribe("not an unsubscribe token")
        campaign = claims.get("cmp") or None
        return Unsubscribe(str(claims["em"]), uuid.UUID(campaign) if campaign else None)
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise InvalidUnsubscribe(f"the link is not valid: {exc}") from None
