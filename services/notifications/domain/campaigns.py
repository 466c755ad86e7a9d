"""Campaign rules: the life cycle, who is invited, and how the fan-out is cut into chunks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import Conflict


@dataclass(frozen=True)
class Campaign:
    """A campaign as stored: what it says, to whom, and how far it is."""

    id: uuid.UUID
    event_id: uuid.UUID
    template: str
    subject: str
    message: str
    cohort_ids: list[str]
    emails: list[str]
    send_at: datetime | None
    status: str
    recipients: int
    opted_out: int
    chunks: int
    invitation_expires_at: datetime | None
    correlation_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    kind: str = "invitation"
    parent_id: uuid.UUID | None = None
    filters: dict[str, Any] | None = None


# Templates a campaign may use (files in templates/email/).
CAMPAIGN_TEMPLATES = ("invitation", "announcement")

# action -> the statuses it may start from
_ALLOWED = {
    "launch": {"draft"},
    "start": {"scheduled"},
    "pause": {"running", "scheduled"},
    "resume": {"paused"},
    "cancel": {"draft", "scheduled", "running", "paused"},
    "complete": {"running"},
    "edit": {"draft"},
    "follow_up": {"running", "paused", "completed"},
}


def check_transition(status: str, action: str) -> None:
    """Refuse an action the campaign's status does not allow (a 409, never a silent no-op)."""
    if status not in _ALLOWED[action]:
        raise Conflict(
            f"a {status} campaign cannot {action}", code="campaign_status", status=status
        )


def status_after_launch(send_at: datetime | None, now: datetime) -> str:
    return "scheduled" if send_at is not None and send_at > now else "running"


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str


def chunk_ranges(count: int, size: int) -> list[tuple[int, int]]:
    """Positions [first, last] of each chunk of invitees."""
    return [(first, min(first + size, count) - 1) for first in range(0, count, size)]
