"""Recording what a member of staff (or an operator) did, for the console's audit log: a
`<service>.staff_action.recorded` message written to the outbox in the caller's unit of work,
so the action and its record commit together or not at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared.auth import Principal
from shared.contracts.staff import StaffActionRecorded
from shared.db import UnitOfWork


def record_staff_action(
    uow: UnitOfWork,
    principal: Principal,
    *,
    action: str,
    target_type: str,
    target_id: str,
    summary: str = "",
    event_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
) -> StaffActionRecorded:
    payload = StaffActionRecorded(
        action_id=uuid.uuid4(),
        actor=principal.subject[:200],
        actor_name=(getattr(principal, "name", None) or None),
        action=action,
        target_type=target_type,
        target_id=target_id[:100],
        event_id=event_id,
        programme_id=programme_id,
        summary=summary[:500],
        occurred_at=datetime.now(UTC),
    )
    uow.emit(f"{uow.producer}.staff_action.recorded", payload)
    return payload
