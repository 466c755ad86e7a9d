"""Campaign rules: the life cycle, who is invited, and how the fan-out is cut into chunks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.emails import email_key
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


# Templates a campaign may use (files in templates/email/).
CAMPAIGN_TEMPLATES = ("invitation",)

# action -> the statuses it may start from
_ALLOWED = {
    "launch": {"draft"},
    "start": {"scheduled"},
    "pause": {"running", "scheduled"},
    "resume": {"paused"},
    "cancel": {"draft", "scheduled", "running", "paused"},
    "complete": {"running"},
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


@dataclass(frozen=True)
class Audience:
    invitees: list[Invitee]
    opted_out: int


def resolve_audience(
    members: Iterable[Invitee], extra_emails: Iterable[str], opted_out: set[str]
) -> Audience:
    """Roster members of the chosen cohorts plus the extra addresses, deduplicated
    case-insensitively (a roster entry wins, for its name), minus those who opted out.
    The order is stable: roster first, then the extras as given."""
    seen: dict[str, Invitee] = {}
    for member in members:
        seen.setdefault(email_key(member.email), Invitee(member.email.strip(), member.name))
    for email in extra_emails:
        seen.setdefault(email_key(email), Invitee(email.strip(), ""))
    kept = [invitee for key, invitee in seen.items() if key not in opted_out]
    return Audience(invitees=kept, opted_out=len(seen) - len(kept))


def chunk_ranges(count: int, size: int) -> list[tuple[int, int]]:
    """Positions [first, last] of each chunk of invitees."""
    return [(first, min(first + size, count) - 1) for first in range(0, count, size)]
