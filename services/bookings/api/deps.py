"""Typed dependencies of the bookings routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError

from services.bookings.domain.tokens import booking_id_from_token
from services.bookings.process import BookingsProcess
from services.bookings.usecases import partners
from shared.errors import NotFound


async def get_process(request: Request) -> BookingsProcess:
    return request.app.state.bookings


ProcessDep = Annotated[BookingsProcess, Depends(get_process)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Send the same key when retrying: the first answer is given again.",
    ),
]
PartnerKey = Annotated[
    str | None,
    Header(alias="X-Partner-Key", min_length=1, max_length=100, description="The widget's key."),
]


def header_error(name: str, message: str, type_: str = "value_error") -> RequestValidationError:
    return RequestValidationError([{"loc": ("header", name), "msg": message, "type": type_}])


async def partner_id(process: BookingsProcess, key: str | None) -> uuid.UUID | None:
    """The partner whose widget key came with the request (none without a key)."""
    if key is None:
        return None
    partner = await partners.active_by_key(process.db, process.partner_keys, key)
    if partner is None:
        raise header_error("X-Partner-Key", "unknown or inactive partner key")
    return partner.id


async def booking_from_token(token: str, process: ProcessDep) -> uuid.UUID:
    """The booking a manage token names; a malformed or forged token is just not found."""
    key = process.settings.manage_token_key.get_secret_value().encode()
    booking_id = booking_id_from_token(key, token)
    if booking_id is None:
        raise NotFound("no such booking", code="booking_not_found")
    return booking_id


ManagedBookingId = Annotated[uuid.UUID, Depends(booking_from_token)]
