"""The relay's own frame marshalling gives pamqp's bytes for the same publish."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pamqp import commands as spec
from pamqp import frame as pamqp_frame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from shared.messaging.frames import body_frames, header_frame, marshal_publish

ENVELOPE = spec.Basic.Properties(
    app_id="bookings",
    content_type="application/json",
    correlation_id="c-1",
    delivery_mode=2,
    headers={"x-correlation-id": "c-1", "x-attempt": 3, "nested": {"a": [1, "b"]}},
    message_id="0b6f4c3e-8d1f-4a53-9b0e-2f4a3c9d8e71",
    message_type="bookings.booking.confirmed",
    priority=0,
    timestamp=datetime(2026, 12, 2, 5, 50, 1, tzinfo=UTC),
)


def pamqp_header(properties: spec.Basic.Properties, size: int, channel: int = 7) -> bytes:
    return pamqp_frame.marshal(ContentHeader(properties=properties, body_size=size), channel)


@pytest.mark.parametrize(
    "properties",
    [
        ENVELOPE,
        spec.Basic.Properties(),
        spec.Basic.Properties(delivery_mode=1, message_id="é" * 100, headers={}),
        spec.Basic.Properties(content_type="", correlation_id="", app_id="x"),
        # Properties the fast path leaves to pamqp, and a string pamqp must refuse.
        spec.Basic.Properties(message_id="m", reply_to="q", expiration="1000", user_id="guest"),
    ],
)
def test_header_frame_is_pamqps(properties: spec.Basic.Properties) -> None:
    assert header_frame(7, properties, 1234) == pamqp_header(properties, 1234)


def test_an_overlong_property_is_refused_as_pamqp_refuses_it() -> None:
    with pytest.raises(TypeError, match="maximum length"):
        header_frame(1, spec.Basic.Properties(message_id="x" * 256), 1)


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 250])
def test_body_is_split_like_aiormq(size: int) -> None:
    body = bytes(range(256))[:size]
    expected = [
        pamqp_frame.marshal(ContentBody(body[start : start + 100]), 3)
        for start in range(0, size, 100)
    ]
    assert body_frames(3, body, 100) == expected


def test_a_whole_publish_is_the_three_frames_pamqp_makes() -> None:
    body = b'{"hello": "world"}'
    method = spec.Basic.Publish(exchange="gm.events", routing_key="bookings.booking.confirmed")
    expected = (
        pamqp_frame.marshal(method, 5)
        + pamqp_header(ENVELOPE, len(body), channel=5)
        + pamqp_frame.marshal(ContentBody(body), 5)
    )
    got = marshal_publish(5, "gm.events", "bookings.booking.confirmed", ENVELOPE, body, 131064)
    assert got == expected
