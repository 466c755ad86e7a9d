"""The capacity rules: an event's places, and its options' places, decided in one place.

`Places` holds the counters of one event and its options as read under the event's row lock;
its methods are the only way they change, so every path (booking, cancelling, changing
option, promoting, staff) applies the same rules.

Options come in groups (the dinner's activities, the workshop slots); a booking holds at most
one option per group, its *choices* (a tuple of option ids, possibly empty). A booking is
confirmed only when the event and every option it chose have a free place not held back for
people already waiting; otherwise the whole booking waits, holding its choices, exactly as
one full option made it wait before groups existed. "None" in an optional group takes no
place anywhere but the event's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.errors import Conflict

# The group of options made without one (in tests): all in one required group.
NO_GROUP = uuid.UUID(int=0)


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
    # The option's group: a booking holds at most one option of a group, and needs one of a
    # required group. Options from before groups share the event's id as their group's.
    group_id: uuid.UUID = NO_GROUP
    group_name: str = ""
    group_required: bool = True
    group_position: int = 0

    @property
    def remaining(self) -> int:
        return remaining(self.capacity, self.confirmed)


# The options a booking holds, one per group at most, in the groups' order.
Choices = tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Waiter:
    booking_id: uuid.UUID
    option_ids: Choices
    waitlist_seq: int


@dataclass
class Places:
    capacity: int
    waitlist_enabled: bool
    confirmed: int = 0
    waiting: int = 0
    waitlist_seq: int = 0
    options: dict[uuid.UUID, OptionPlaces] = field(default_factory=dict)

    def remaining(self, choices: Sequence[uuid.UUID] = ()) -> int:
        """Places left for a new confirmed booking: the event's, and each chosen option's."""
        left = remaining(self.capacity, self.confirmed)
        for option_id in choices:
            left = min(left, self.options[option_id].remaining)
        return left

    @property
    def overage(self) -> int:
        """Confirmed beyond capacity after staff cut it: nobody is bumped, staff see this."""
        return max(0, self.confirmed - self.capacity)

    def held_back(self, choices: Sequence[uuid.UUID]) -> bool:
        """Whether a free place is kept for someone already waiting: for an event without
        options, anyone waiting; with options, the people waiting for one of the chosen
        options would fill all its free places. Someone waiting for a full dinner walk (but
        a workshop slot with room) holds back one workshop place, not the whole workshop."""
        if not self.options:
            return self.waiting > 0
        return any(self.options[o].waiting >= self.options[o].remaining for o in choices)

    def admit(self, choices: Sequence[uuid.UUID] = ()) -> Decision:
        """Confirmed while places remain and nobody waits for them, else the waiting list,
        else full."""
        if self.remaining(choices) > 0 and not self.held_back(choices):
            self._confirm(choices, 1)
            return Decision("confirmed")
        if not self.waitlist_enabled:
            raise Conflict(f"{self._what_is_full(choices)} is full", code="full")
        self._wait(choices, 1)
        self.waitlist_seq += 1
        return Decision(
            "waitlisted", waitlist_position=self.waiting, waitlist_seq=self.waitlist_seq
        )

    def _what_is_full(self, choices: Sequence[uuid.UUID]) -> str:
        if self.remaining() <= 0 or not choices:
            return "this event"
        full = [self.options[o] for o in choices if self.options[o].remaining <= 0]
        return f"'{full[0].name}'" if len(choices) > 1 and full else "this option"

    def release(self, status: str, choices: Sequence[uuid.UUID] = ()) -> None:
        """A booking left (cancelled): its place or its spot in the queue is free."""
        if status == "confirmed":
            self._confirm(choices, -1)
        elif status == "waitlisted":
            self._wait(choices, -1)

    def promote(self, choices: Sequence[uuid.UUID] = ()) -> None:
        if self.remaining(choices) <= 0:
            raise Conflict("there is no free place to promote into", code="full")
        self._wait(choices, -1)
        self._confirm(choices, 1)

    def move(self, status: str, old: Sequence[uuid.UUID], new: Sequence[uuid.UUID]) -> None:
        """A booking changes its choices. A confirmed one needs, in each option it joins, a
        free place not held back for those waiting; the options it keeps are not touched;
        a waiting one just changes the queues it waits in."""
        left = [o for o in old if o not in new]
        joined = [o for o in new if o not in old]
        if status == "confirmed":
            for option_id in joined:
                target = self.options[option_id]
                if self.held_back((option_id,)):
                    raise Conflict(f"{target.name} is full", code="option_full")
            self._confirm(left, -1, event=False)
            self._confirm(joined, 1, event=False)
        else:
            self._wait(left, -1, event=False)
            self._wait(joined, 1, event=False)

    def plan_promotions(self, waiters: Iterable[Waiter]) -> list[Waiter]:
        """First come, first served among those whose options all have a free place; counts
        them."""
        chosen: list[Waiter] = []
        for waiter in waiters:
            if self.remaining() <= 0:
                break
            if self.remaining(waiter.option_ids) > 0:
                self.promote(waiter.option_ids)
                chosen.append(waiter)
        return chosen

    def options_with_room(self) -> list[uuid.UUID]:
        return [o.option_id for o in self.options.values() if o.remaining > 0]

    def _confirm(self, choices: Sequence[uuid.UUID], delta: int, *, event: bool = True) -> None:
        if event:
            self.confirmed += delta
        for option_id in choices:
            if option_id in self.options:
                self.options[option_id].confirmed += delta

    def _wait(self, choices: Sequence[uuid.UUID], delta: int, *, event: bool = True) -> None:
        if event:
            self.waiting += delta
        for option_id in choices:
            if option_id in self.options:
                self.options[option_id].waiting += delta
