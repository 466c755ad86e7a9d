"""Idempotency-Key: a request's fingerprint, and its first answer in a form that can be stored
and given again byte for byte."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from services.bookings.domain.bookings import Booking
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

_ERRORS: dict[str, type[DomainError]] = {
    "not_found": NotFound,
    "conflict": Conflict,
    "forbidden": Forbidden,
}


def fingerprint(event_id: uuid.UUID, body: dict[str, Any]) -> bytes:
    """The same event and the same (parsed) body give the same fingerprint, whatever the
    spacing or key order of the JSON sent."""
    canonical = orjson.dumps(
        {"event_id": str(event_id), "body": body}, option=orjson.OPT_SORT_KEYS, default=str
    )
    return hashlib.sha256(canonical).digest()


def accepted_answer(booking: Booking, waitlist_position: int | None) -> dict[str, Any]:
    """What a new booking's answer is made from; the manage token is rebuilt from the id."""
    return {
        "booking": {
            "booking_id": str(booking.id),
            "status": booking.status,
            "waitlist_position": waitlist_position,
            "option_id": str(booking.option_ids[0]) if booking.option_ids else None,
            "option_ids": [str(o) for o in booking.option_ids],
        }
    }


def error_answer(error: DomainError) -> dict[str, Any]:
    kind = "invalid" if isinstance(error, Invalid) else _kind(error)
    stored: dict[str, Any] = {
        "message": error.message,
        "code": error.code,
        "extra": _plain(error.extra),
        "kind": kind,
    }
    if isinstance(error, Invalid):
        stored["field"] = error.field
    return {"error": stored}


def _plain(values: dict[str, Any]) -> Any:
    """JSON-ready values (datetimes as ISO 8601, UUIDs as text), as the error handler renders
    them, so a replayed error body is the same as the first."""
    return orjson.loads(orjson.dumps(values, default=str))


def _kind(error: DomainError) -> str:
    for kind, cls in _ERRORS.items():
        if type(error) is cls:
            return kind
    return "conflict"


def error_from_answer(answer: dict[str, Any]) -> DomainError:
    """The stored error as the exception that renders the very same answer."""
    stored = answer["error"]
    if stored["kind"] == "invalid":
        return Invalid(stored["field"], stored["message"], code=stored["code"], **stored["extra"])
    cls = _ERRORS.get(stored["kind"], Conflict)
    return cls(stored["message"], code=stored["code"], **stored["extra"])
