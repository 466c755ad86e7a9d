"""Attendee fields are declared once (shared/contracts/attendees.py) and every schema that
takes them applies the same rules: a hostile name is refused in bookings as on a roster, an
internationalised domain is kept in its IDNA form, the lengths are the same."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.bookings.api.schemas import AttendeeIn, BookingChange
from services.bookings.api.staff_schemas import StaffBookingCreate
from services.catalogue.api.schemas.cohorts import MemberCreate, MemberUpdate
from shared.contracts import Attendee, CohortMemberAdded
from shared.contracts.attendees import (
    ATTENDEE_FIELDS,
    NEEDS_MAX_LENGTH,
    ROSTER_FIELDS,
    TEXT_MAX_LENGTH,
)

BOOKING = {"name": "Ada Lovelace", "email": "ada@example.org", "organisation": "Salford"}
MEMBER = {"name": "Ada Lovelace", "email": "ada@example.org"}
# Every schema a person's details enter through, with a valid body.
TAKING_DETAILS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (AttendeeIn, BOOKING),
    (StaffBookingCreate, BOOKING),
    (MemberCreate, MEMBER),
    (MemberUpdate, {}),
]
TAKING_NEEDS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (AttendeeIn, BOOKING),
    (BookingChange, {}),
]


def _refused_field(schema: type[BaseModel], body: dict[str, Any]) -> list[object]:
    with pytest.raises(ValidationError) as caught:
        schema.model_validate(body)
    return [error["loc"][-1] for error in caught.value.errors()]


def test_every_schema_names_the_shared_fields() -> None:
    assert set(ATTENDEE_FIELDS) <= set(AttendeeIn.model_fields)
    assert set(ATTENDEE_FIELDS) <= set(Attendee.model_fields)
    assert set(ROSTER_FIELDS) <= set(MemberCreate.model_fields)
    assert set(ROSTER_FIELDS) <= set(CohortMemberAdded.model_fields)


@pytest.mark.parametrize(("schema", "body"), TAKING_DETAILS)
@pytest.mark.parametrize("field", ["name", "organisation", "role"])
@pytest.mark.parametrize(
    "hostile", ["Eve\r\nBcc: x@example.org", "Eve\nX-Injected: 1", "Eve\x00", "Eve\x7f"]
)
def test_a_line_break_or_control_character_is_refused_everywhere(
    schema: type[BaseModel], body: dict[str, Any], field: str, hostile: str
) -> None:
    assert field in _refused_field(schema, {**body, field: hostile})


@pytest.mark.parametrize(("schema", "body"), TAKING_DETAILS)
@pytest.mark.parametrize("field", ["name", "organisation", "role"])
def test_the_text_limit_is_the_same_everywhere(
    schema: type[BaseModel], body: dict[str, Any], field: str
) -> None:
    at_limit = schema.model_validate({**body, field: "x" * TEXT_MAX_LENGTH})
    assert getattr(at_limit, field) == "x" * TEXT_MAX_LENGTH
    assert field in _refused_field(schema, {**body, field: "x" * (TEXT_MAX_LENGTH + 1)})


@pytest.mark.parametrize(("schema", "body"), TAKING_DETAILS)
def test_addresses_follow_the_one_rule_everywhere(
    schema: type[BaseModel], body: dict[str, Any]
) -> None:
    taken = schema.model_validate({**body, "email": " Jane@Exämple.ORG "})
    assert taken.email == "Jane@xn--exmple-cua.org"  # type: ignore[attr-defined]
    for refused in ("zoë@example.org", "someone@example.test", "not-an-address"):
        assert "email" in _refused_field(schema, {**body, "email": refused})


@pytest.mark.parametrize(("schema", "body"), TAKING_NEEDS)
@pytest.mark.parametrize("field", ["dietary_needs", "access_needs"])
def test_needs_may_run_over_lines_up_to_their_limit(
    schema: type[BaseModel], body: dict[str, Any], field: str
) -> None:
    taken = schema.model_validate({**body, field: "  no nuts\nno dairy  "})
    assert getattr(taken, field) == "no nuts\nno dairy"
    assert field in _refused_field(schema, {**body, field: "x" * (NEEDS_MAX_LENGTH + 1)})


@pytest.mark.parametrize(("schema", "body"), [(AttendeeIn, BOOKING), (BookingChange, {})])
def test_a_sector_is_one_of_the_four(schema: type[BaseModel], body: dict[str, Any]) -> None:
    assert schema.model_validate({**body, "sector": "voluntary"}).sector == "voluntary"  # type: ignore[attr-defined]
    assert "sector" in _refused_field(schema, {**body, "sector": "military"})
