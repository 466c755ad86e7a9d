"""Audit entries: from a service's `staff_action.recorded` message, or for the console's own
actions (sign-in, staff account changes), and the sentence each reads as."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.console.persistence.accounts import Account
from services.console.persistence.audit import Entry
from shared.contracts.staff import StaffActionRecorded
from shared.logging import current_correlation_id


def from_message(source: str, payload: StaffActionRecorded) -> Entry:
    return Entry(
        action_id=payload.action_id,
        source=source,
        actor=payload.actor,
        actor_name=payload.actor_name,
        action=payload.action,
        target_type=payload.target_type,
        target_id=payload.target_id,
        event_id=payload.event_id,
        programme_id=payload.programme_id,
        summary=payload.summary,
        correlation_id=current_correlation_id(),
        occurred_at=payload.occurred_at,
    )


def own_action(
    actor: Account | None,
    action: str,
    *,
    target_type: str,
    target_id: str,
    summary: str = "",
    actor_label: str | None = None,
) -> Entry:
    """An action the console itself took. Summaries never hold what a person typed beyond
    names staff gave themselves; a failed sign-in names no password, only the attempt."""
    return Entry(
        action_id=uuid.uuid4(),
        source="console",
        actor=str(actor.id) if actor else (actor_label or "anonymous"),
        actor_name=actor.name if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        event_id=None,
        programme_id=None,
        summary=summary[:500],
        correlation_id=current_correlation_id(),
        occurred_at=datetime.now(UTC),
    )


def sentence(entry: Entry) -> str:
    """`event.published` on an event reads "published the event"."""
    verb = entry.action.rsplit(".", 1)[-1].replace("_", " ")
    thing = entry.target_type.replace("_", " ")
    return f"{verb} {thing}"
