"""AMQP 0-9-1 frames of a publish, marshalled for the relay's batches.

pamqp marshals a content header by looking up each of fourteen properties' types by name on
every message: after batching the writes it was the largest part of the relay's CPU. The
envelopes we publish set the same nine properties every time, so those are encoded here
directly, in the order and with the flags of the specification (`tests/unit/test_frames.py`
checks the bytes against pamqp's for the same properties); anything else goes through pamqp.
The publish method frame is the same for every message of one routing key, so it is cached.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pamqp import commands as spec
from pamqp import constants
from pamqp import encode as amqp
from pamqp import frame as pamqp_frame
from pamqp.header import ContentHeader

_FRAME_HEAD = struct.Struct(">BHI")
_HEADER_HEAD = struct.Struct(">HxxQ")
_FLAGS = struct.Struct(">H")
_END = constants.FRAME_END_CHAR


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return b"".join((_FRAME_HEAD.pack(kind, channel, len(payload)), payload, _END))


class _Unsupported(Exception):
    pass


def _short_string(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _Unsupported
    encoded = value.encode()
    if len(encoded) > 255:
        raise _Unsupported  # pamqp says why
    return bytes((len(encoded),)) + encoded


def _octet(value: Any) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= 255:
        raise _Unsupported
    return bytes((value,))


# Specification order, with each property's flag bit and its encoding.
_ENCODED: tuple[tuple[str, int, Callable[[Any], bytes]], ...] = (
    ("content_type", 0x8000, _short_string),
    ("headers", 0x2000, amqp.field_table),
    ("delivery_mode", 0x1000, _octet),
    ("priority", 0x0800, _octet),
    ("correlation_id", 0x0400, _short_string),
    ("message_id", 0x0080, _short_string),
    ("timestamp", 0x0040, amqp.timestamp),
    ("message_type", 0x0020, _short_string),
    ("app_id", 0x0008, _short_string),
)
_LEFT_TO_PAMQP = ("content_encoding", "reply_to", "expiration", "user_id", "cluster_id")


def _properties(properties: spec.Basic.Properties) -> bytes:
    for name in _LEFT_TO_PAMQP:
        value = getattr(properties, name)
        if value is not None and value != "":
            raise _Unsupported
    flags = 0
    parts = [b""]
    for name, flag, encode in _ENCODED:
        value = getattr(properties, name)
        # pamqp's rule: a property is present unless it is None or the empty string.
        if value is not None and value != "":
            flags |= flag
            parts.append(encode(value))
    parts[0] = _FLAGS.pack(flags)
    return b"".join(parts)


def header_frame(channel: int, properties: spec.Basic.Properties, body_size: int) -> bytes:
    try:
        payload = _HEADER_HEAD.pack(spec.Basic.frame_id, body_size) + _properties(properties)
    except _Unsupported:
        header = ContentHeader(properties=properties, body_size=body_size)
        return pamqp_frame.marshal(header, channel)
    return _frame(constants.FRAME_HEADER, channel, payload)


@lru_cache(maxsize=1024)
def publish_frame(channel: int, exchange: str, routing_key: str) -> bytes:
    method = spec.Basic.Publish(exchange=exchange, routing_key=routing_key)
    return pamqp_frame.marshal(method, channel)


def body_frames(channel: int, body: bytes, max_size: int) -> list[bytes]:
    """The body in frames of at most `max_size` bytes (the connection's frame size minus the
    frame's own eight bytes), as aiormq splits it; none for an empty body."""
    return [
        _frame(constants.FRAME_BODY, channel, body[start : start + max_size])
        for start in range(0, len(body), max_size)
    ]


def marshal_publish(
    channel: int,
    exchange: str,
    routing_key: str,
    properties: spec.Basic.Properties,
    body: bytes,
    max_size: int,
) -> bytes:
    """The three (or more) frames of one publish, as bytes ready for the socket."""
    return b"".join(
        (
            publish_frame(channel, exchange, routing_key),
            header_frame(channel, properties, len(body)),
            *body_frames(channel, body, max_size),
        )
    )
