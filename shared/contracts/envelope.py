"""The one envelope every message travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.logging import current_correlation_id, current_message_id, new_correlation_id


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    message_id: uuid.UUID
    type: str = Field(pattern=r"^[a-z]+\.[a-z_]+\.[a-z_]+$")
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    correlation_id: str
    causation_id: str | None = None
    producer: str
    payload: dict[str, Any]

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


def new_envelope(type_: str, payload: BaseModel, *, producer: str) -> Envelope:
    """Wrap a payload, inheriting the correlation id and the cause from the current context.

    Inside a request the cause is the request (no message id); inside a consumer it is the
    message being handled, so a chain of messages can be followed back to where it began.
    """
    from shared.contracts.registry import payload_version

    return Envelope(
        message_id=uuid.uuid4(),
        type=type_,
        version=payload_version(type_),
        occurred_at=datetime.now(UTC),
        correlation_id=current_correlation_id() or new_correlation_id(),
        causation_id=current_message_id(),
        producer=producer,
        payload=payload.model_dump(mode="json"),
    )
