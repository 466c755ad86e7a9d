"""The message contract: envelopes round-trip, payloads of every version ever published still
parse, and unknown or newer types are refused rather than misread."""

import json
import uuid
from pathlib import Path

import pytest

from shared.contracts import (
    REGISTRY,
    BookingState,
    Envelope,
    EventState,
    new_envelope,
    parse_payload,
)
from shared.contracts.registry import UnknownMessageType
from shared.logging import log_context

SAMPLES = Path(__file__).parent / "contract_samples"


def test_every_type_has_a_v1_sample_that_parses() -> None:
    for type_ in REGISTRY:
        sample = SAMPLES / f"{type_}.v1.json"
        assert sample.exists(), f"add a v1 sample for {type_}"
        envelope = Envelope.model_validate(json.loads(sample.read_text()))
        assert envelope.type == type_
        parse_payload(envelope)


def test_envelope_round_trips_and_inherits_context() -> None:
    state = json.loads((SAMPLES / "catalogue.event.published.v1.json").read_text())["payload"]
    with log_context(correlation_id="corr-1", message_id="cause-1"):
        envelope = new_envelope(
            "catalogue.event.published", EventState.model_validate(state), producer="catalogue"
        )
    again = Envelope.from_json(envelope.to_json())
    assert again == envelope
    assert (again.correlation_id, again.causation_id, again.version) == ("corr-1", "cause-1", 1)
    assert isinstance(parse_payload(again), EventState)


def test_newer_version_than_known_is_refused() -> None:
    sample = json.loads((SAMPLES / "bookings.booking.confirmed.v1.json").read_text())
    sample["version"] = 99
    with pytest.raises(UnknownMessageType):
        parse_payload(Envelope.model_validate(sample))


def test_unknown_type_is_refused() -> None:
    sample = json.loads((SAMPLES / "bookings.booking.confirmed.v1.json").read_text())
    sample["type"] = "bookings.booking.exploded"
    with pytest.raises(UnknownMessageType):
        parse_payload(Envelope.model_validate(sample))


def test_unknown_fields_are_ignored_so_producers_can_add_fields_first() -> None:
    sample = json.loads((SAMPLES / "bookings.booking.confirmed.v1.json").read_text())
    sample["payload"]["a_field_from_the_future"] = 1
    payload = parse_payload(Envelope.model_validate(sample))
    assert isinstance(payload, BookingState)
    assert payload.booking_id == uuid.UUID(sample["payload"]["booking_id"])
