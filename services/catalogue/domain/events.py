"""Event rules: no I/O here, only what an event may become and what it publishes."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from shared.contracts import EventState
from shared.errors import Conflict, Invalid


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    slug: str
    kind: str
    title: str
    summary: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    waitlist_enabled: bool
    status: str = "draft"
    version: int = 0


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "event"


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid("ends_at", "must be after starts_at")


def publish(event: Event) -> Event:
    """Draft -> published; the first published state is version 1."""
    if event.status != "draft":
        raise Conflict(
            f"only a draft can be published; this event is {event.status}", code="not_draft"
        )
    return replace(event, status="published", version=event.version + 1)


def to_state(event: Event) -> EventState:
    return EventState(
        event_id=event.id,
        version=event.version,
        status=event.status,  # type: ignore[arg-type]
        slug=event.slug,
        kind=event.kind,
        title=event.title,
        summary=event.summary,
        timezone=event.timezone,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        capacity=event.capacity,
        waitlist_enabled=event.waitlist_enabled,
    )
