"""The capacity rules: an event's places, and its options' places, decided in one place.

`Places` holds the counters of one event and its options as read under the event's row lock;
its methods are the only way they change, so every path (booking, cancelling, changing
option, promoting, staff) applies the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from shared.errors import Conflict


@dataclass(frozen=True)
class Decision:
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None = None
    waitlist_seq: int | None = None


def remaining(capacity: int, confirmed: int) -> int:
    """Places left; never negative, even when staff cut capacity below the confirmed count."""
    return max(0, capacity - confirmed)


@dataclass
class OptionPlaces:
    option_id: uuid.UUID
    name: str
    capacity: int
    confirmed: int = 0
    waiting: int = 0
    withdrawn: bool = False
    description: str = ""
    position: int = 0

    @property
    def remaining(self) -> int:
        return remaining(self.capacity, self.confirmed)


@dataclass(frozen=True)
class Waiter:
    booking_id: uuid.UUID
    option_id: uuid.UUID | None
    waitlist_seq: int


@dataclass
class Places:
    capacity: int
    waitlist_enabled: bool
    confirmed: int = 0
    waiting: int = 0
    waitlist_seq: int = 0
    options: dict[uuid.UUID, OptionPlaces] = field(default_factory=dict)

    def remaining(self, option_id: uuid.UUID | None = None) -> int:
        """Places left for a new confirmed booking: the event's, and the option's if one."""
        left = remaining(self.capacity, self.confirmed)
        if option_id is not None:
            left = min(left, self.options[option_id].remaining)
        return left

    @property
    def overage(self) -> int:
        """Confirmed beyond capacity after staff cut it: nobody is bumped, staff see this."""
        return max(0, self.confirmed - self.capacity)

    def queue_ahead(self, option_id: uuid.UUID | None) -> int:
        """Who a newcomer would jump by taking a free place: people waiting for the same
        option (for an event without options, anyone waiting)."""
        return self.options[option_id].waiting if option_id is not None else self.waiting

    def admit(self, option_id: uuid.UUID | None) -> Decision:
        """Confirmed while places remain and nobody waits for them, else the waiting list,
        else full."""
        if self.remaining(option_id) > 0 and self.queue_ahead(option_id) == 0:
            self._confirm(option_id, 1)
            return Decision("confirmed")
        if not self.waitlist_enabled:
            what = "this option" if option_id is not None and self.remaining() > 0 else "this event"
            raise Conflict(f"{what} is full", code="full")
        self._wait(option_id, 1)
        self.waitlist_seq += 1
        return Decision(
            "waitlisted", waitlist_position=self.waiting, waitlist_seq=self.waitlist_seq
        )

    def release(self, status: str, option_id: uuid.UUID | None) -> None:
        """A booking left (cancelled): its place or its spot in the queue is free."""
        if status == "confirmed":
            self._confirm(option_id, -1)
        elif status == "waitlisted":
            self._wait(option_id, -1)

    def promote(self, option_id: uuid.UUID | None) -> None:
        if self.remaining(option_id) <= 0:
            raise Conflict("there is no free place to promote into", code="full")
        self._wait(option_id, -1)
        self._confirm(option_id, 1)

    def move(self, status: str, old: uuid.UUID | None, new: uuid.UUID) -> None:
        """A booking changes option. A confirmed one needs a free place in the new option
        that nobody is waiting for; a waiting one just changes the queue it waits in."""
        if status == "confirmed":
            target = self.options[new]
            if target.remaining <= 0 or target.waiting > 0:
                raise Conflict(f"{target.name} is full", code="option_full")
            self._confirm(old, -1, event=False)
            self._confirm(new, 1, event=False)
        else:
            self._wait(old, -1, event=False)
            self._wait(new, 1, event=False)

    def plan_promotions(self, waiters: Iterable[Waiter]) -> list[Waiter]:
        """First come, first served among those whose option has a free place; counts them."""
        chosen: list[Waiter] = []
        for waiter in waiters:
            if self.remaining() <= 0:
                break
            if self.remaining(waiter.option_id) > 0:
                self.promote(waiter.option_id)
                chosen.append(waiter)
        return chosen

    def options_with_room(self) -> list[uuid.UUID]:
        return [o.option_id for o in self.options.values() if o.remaining > 0]

    def _confirm(self, option_id: uuid.UUID | None, delta: int, *, event: bool = True) -> None:
        if event:
            self.confirmed += delta
        if option_id is not None and option_id in self.options:
            self.options[option_id].confirmed += delta

    def _wait(self, option_id: uuid.UUID | None, delta: int, *, event: bool = True) -> None:
        if event:
            self.waiting += delta
        if option_id is not None and option_id in self.options:
            self.options[option_id].waiting += delta
