"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.catalogue.persistence import tally
from shared.contracts import BookingState
from shared.db import UnitOfWork


async def record_booking(booking: BookingState, uow: UnitOfWork) -> None:
    await tally.apply(uow, booking)


def record_bookings(
    messages: Sequence[tuple[uuid.UUID, BookingState]],
) -> tuple[str, Sequence[object]]:
    """`record_booking` for a batch of messages, with their inbox claim, as one statement
    (`shared.messaging.handlers.one_statement_batch`)."""
    return tally.claim_and_apply(messages)
