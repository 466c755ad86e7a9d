"""A stored first answer renders, when given again, exactly as the first time."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.encoders import jsonable_encoder

from services.bookings.domain.idempotency import error_answer, error_from_answer
from shared.errors import Conflict, Forbidden, Invalid


def test_stored_errors_come_back_as_the_same_answer() -> None:
    window = {
        "opens_at": datetime(2027, 5, 1, 9, 30, tzinfo=UTC),
        "closes_at": datetime(2027, 5, 2, 17, 0, 0, 123456, tzinfo=UTC),
    }
    for original in (
        Conflict("booking has closed", code="booking_closed", window=window),
        Forbidden("by invitation only", code="invitation_required"),
        Invalid("option_id", "choose one of the event's options"),
    ):
        again = error_from_answer(error_answer(original))
        assert type(again) is type(original)
        assert (again.message, again.code) == (original.message, original.code)
        assert jsonable_encoder(again.extra) == jsonable_encoder(original.extra)
        assert getattr(again, "field", None) == getattr(original, "field", None)
