"""`POST /public/events/{event_id}/bookings` through the hot lane (shared/hot_lane.py): the
widget's edge (rate limit, partner CORS, honeypot) and the route, without the middleware chain,
the router or dependency solving.

The request is parsed here only where the result is certainly what FastAPI would make of it:
a canonical event id, a JSON content type, a JSON object the schema accepts as is, headers
within their limits, no `invitation` in the query. Anything else is handed to the FastAPI
route (`public.create_booking`), whose answer (the 422 naming the field) is the one it always
gave. Both end in `public.book`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.datastructures import Headers, QueryParams
from starlette.types import Scope

from services.bookings.api import honeypot
from services.bookings.api.cors import partner_check
from services.bookings.api.public import book
from services.bookings.api.ratelimit import RateLimiter
from services.bookings.api.schemas import BookingCreate
from shared.hot_lane import PASS, Answer, json_answer

_PATH = re.compile(
    r"/public/events/([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})/bookings"
)
# The header rules of `api/deps.py`: outside them FastAPI answers, naming the header.
_IDEMPOTENCY_KEY = re.compile(rb"[\x21-\x7e]{1,200}")
_PARTNER_KEY_MAX = 100
_JSON = b"application/json"


class HotBooking:
    path = "/public/events/{event_id}/bookings"

    def __init__(self, limiter: RateLimiter | None) -> None:
        self.limiter = limiter

    def match(self, scope: Scope) -> uuid.UUID | None:
        if scope["method"] != "POST" or scope.get("root_path"):
            return None
        found = _PATH.fullmatch(scope["path"])
        return uuid.UUID(found.group(1)) if found else None

    async def admit(self, scope: Scope) -> tuple[Answer | None, list[tuple[bytes, bytes]]]:
        # In the order of the middlewares (api/widget_edge.py): the rate limit, then CORS.
        if self.limiter is not None:
            refused = self.limiter.refusal(scope)
            if refused is not None:
                return json_answer(*refused), []
        headers = Headers(scope=scope)
        refusal, extra = await partner_check(scope, headers, headers.get("origin"))
        if refusal is not None:
            return json_answer(403, refusal, extra), extra
        return None, extra

    async def handle(self, scope: Scope, event_id: uuid.UUID, body: bytes) -> Answer | type[PASS]:
        refused = honeypot.refusal(body)
        if refused is not None:
            return json_answer(422, refused)
        parsed = _parse(scope, body)
        if parsed is None:
            return PASS
        booking, idempotency_key, partner_key = parsed
        process = scope["app"].state.bookings
        answer = await book(process, event_id, booking, None, idempotency_key, partner_key)
        return Answer(201, answer)


def _parse(scope: Scope, body: bytes) -> tuple[BookingCreate, str | None, str | None] | None:
    """The body and headers exactly as FastAPI would take them, or None to let it answer."""
    found: dict[bytes, list[bytes]] = {}
    for name, value in scope["headers"]:
        if name in (b"content-type", b"idempotency-key", b"x-partner-key"):
            found.setdefault(name, []).append(value)
    content_type = found.get(b"content-type", [b""])
    if len(content_type) != 1 or content_type[0].split(b";", 1)[0].strip().lower() != _JSON:
        return None
    if scope["query_string"] and "invitation" in QueryParams(scope["query_string"]):
        return None
    keys, partners = found.get(b"idempotency-key", []), found.get(b"x-partner-key", [])
    if len(keys) > 1 or len(partners) > 1:
        return None  # FastAPI's to judge
    key = keys[0] if keys else None
    partner = partners[0] if partners else None
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        return None
    if partner is not None and not 1 <= len(partner) <= _PARTNER_KEY_MAX:
        return None
    try:
        fields: Any = orjson.loads(body)
        if not isinstance(fields, dict):
            return None
        booking = BookingCreate.model_validate(fields)
    except (orjson.JSONDecodeError, ValidationError):
        return None
    return (
        booking,
        key.decode("latin-1") if key is not None else None,
        partner.decode("latin-1") if partner is not None else None,
    )
