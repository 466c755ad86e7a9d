"""The consumed `<service>.staff_action.recorded` messages, written into the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.console.domain.audit import from_message
from services.console.persistence import audit
from shared.contracts.staff import StaffActionRecorded
from shared.db import UnitOfWork


def record_from(source: str) -> Callable[[StaffActionRecorded, UnitOfWork], Awaitable[None]]:
    """The handler for one service's messages: the routing key says which service acted."""

    async def record_staff_action(payload: StaffActionRecorded, uow: UnitOfWork) -> None:
        # The inbox already refuses a repeated message id; the action id is the table's key
        # as well, so the same action published twice (two message ids) is one row.
        await audit.record(uow, from_message(source, payload))

    return record_staff_action
