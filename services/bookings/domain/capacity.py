"""The capacity rule: confirmed while places remain, else the waiting list, else full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.errors import Conflict


@dataclass(frozen=True)
class Decision:
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None = None


def remaining(capacity: int, confirmed: int) -> int:
    """Places left; never negative, even when staff cut capacity below the confirmed count."""
    return max(0, capacity - confirmed)


def decide(*, capacity: int, confirmed: int, waiting: int, waitlist_enabled: bool) -> Decision:
    # Nobody jumps the queue: while anyone waits, a new booker waits too.
    if remaining(capacity, confirmed) > 0 and waiting == 0:
        return Decision("confirmed")
    if not waitlist_enabled:
        raise Conflict("this event is full", code="full")
    return Decision("waitlisted", waitlist_position=waiting + 1)
