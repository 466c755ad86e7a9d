"""Message payloads as the catalogue and bookings publish them, with unique ids per test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.contracts import (
    BookingCancelled,
    BookingChanged,
    BookingState,
    CohortMemberAdded,
    EventState,
)


def unique_email(prefix: str = "leader") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def event_state(**overrides: Any) -> EventState:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "version": 1,
        "title": "Reunion and Reflection",
        "summary": "Cohorts come back together.",
        "timezone": "Europe/London",
        "starts_at": start,
        "ends_at": start + timedelta(hours=7),
        "capacity": 100,
        "venue": {
            "name": "Salford Innovation Forum",
            "address": "51 Frederick Road, Salford",
            "accessibility": "Step-free access; hearing loop in the main hall.",
        },
    }
    values.update(overrides)
    return EventState.model_validate(values)


def two_day_event(**overrides: Any) -> EventState:
    start = datetime(2031, 10, 14, 8, 30, tzinfo=UTC)
    sessions = [
        {
            "session_id": str(uuid.uuid4()),
            "title": f"Day {n + 1}",
            "starts_at": start + timedelta(days=n),
            "ends_at": start + timedelta(days=n, hours=8),
        }
        for n in range(2)
    ]
    return event_state(
        title="Driving Place Leadership",
        starts_at=start,
        ends_at=start + timedelta(days=1, hours=8),
        sessions=sessions,
        **overrides,
    )


def booking_state(event: EventState, **overrides: Any) -> BookingState:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "booking_id": uuid.uuid4(),
        "version": 1,
        "event_id": event.event_id,
        "event_version": event.version,
        "status": "confirmed",
        "attendee": {"name": "Sam Leader", "email": unique_email(), "organisation": "Bolton"},
        "manage_url": f"https://bookings.example.org/manage/{uuid.uuid4().hex}",
        "created_at": now,
        "updated_at": now,
    }
    attendee = overrides.pop("attendee", None)
    values.update(overrides)
    if attendee:
        values["attendee"] = {**values["attendee"], **attendee}
    return BookingState.model_validate(values)


def cancelled(booking: BookingState, **overrides: Any) -> BookingCancelled:
    values = booking.model_dump(mode="json")
    values.update(status="cancelled", version=booking.version + 1, was_status=booking.status)
    values.update(overrides)
    return BookingCancelled.model_validate(values)


def changed(booking: BookingState, **overrides: Any) -> BookingChanged:
    values = booking.model_dump(mode="json")
    values.update(version=booking.version + 1)
    values.update(overrides)
    return BookingChanged.model_validate(values)


def member(cohort_id: uuid.UUID, version: int, **overrides: Any) -> CohortMemberAdded:
    values: dict[str, Any] = {
        "cohort_id": cohort_id,
        "member_id": uuid.uuid4(),
        "email": unique_email("member"),
        "name": "Cohort Member",
        "version": version,
    }
    values.update(overrides)
    return CohortMemberAdded.model_validate(values)
