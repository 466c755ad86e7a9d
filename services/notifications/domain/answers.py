""" "I can't come" links in invitations: the address, the event and the campaign, signed
(HS256) with the service's unsubscribe key under a type of their own, so one kind of link can
never be used as the other."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

import jwt

_TYPE = "decline"


@dataclass(frozen=True)
class Answer:
    email: str
    event_id: uuid.UUID
    campaign_id: uuid.UUID


class InvalidAnswer(ValueError):
    pass


def sign_decline(key: str, *, email: str, event_id: uuid.UUID, campaign_id: uuid.UUID) -> str:
    claims = {
        "typ": _TYPE,
        "em": email.strip().lower(),
        "evt": str(event_id),
        "cmp": str(campaign_id),
    }
    return jwt.encode(claims, key, algorithm="HS256")


class DeclineSigner:
    """`sign_decline` for every invitee of a campaign with the key schedule prepared once
    (a campaign signs a thousand of these a second; verified by `verify_decline`)."""

    _HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")

    def __init__(self, key: str, *, event_id: uuid.UUID, campaign_id: uuid.UUID) -> None:
        self._mac = hmac.new(key.encode(), digestmod=hashlib.sha256)
        self._fixed = {"typ": _TYPE, "evt": str(event_id), "cmp": str(campaign_id)}

    def sign(self, email: str) -> str:
        claims = {**self._fixed, "em": email.strip().lower()}
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self._HEADER + b"." + payload.rstrip(b"=")
        mac = self._mac.copy()
        mac.update(signing_input)
        return (signing_input + b"." + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")).decode()


def verify_decline(key: str, token: str) -> Answer:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
        if claims.get("typ") != _TYPE or not claims.get("em"):
            raise InvalidAnswer("not an answer link")
        return Answer(str(claims["em"]), uuid.UUID(claims["evt"]), uuid.UUID(claims["cmp"]))
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise InvalidAnswer(f"the link is not valid: {exc}") from None
