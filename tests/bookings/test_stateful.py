"""A property test: random book / cancel / change-option / capacity-change sequences run
against the real database through the use cases, and after every step the stored bookings
must be exactly what a simple model of the rules says, with the invariants holding.

The event has two option groups (the first required or optional, the second optional), so
choices of several groups, "none", and changing one group while keeping the other are all
drawn."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from services.bookings.domain.batch import Accepted, BookingRequest, Refused
from services.bookings.handlers import apply_event_state
from services.bookings.settings import BookingsSettings
from services.bookings.usecases import manage
from services.bookings.usecases.booking import book_batch
from shared.contracts import EventOption, EventState, OptionGroup
from shared.db import Database, make_engine
from shared.errors import DomainError
from tests.support.infra import Infra

PEOPLE = [f"p{n}@example.org" for n in range(8)]
# Two option groups of two options each: options 0 and 1 in the first group (required or
# optional, drawn per run), 2 and 3 in the second (always optional, so "none" is tried).
GROUP_OF = (0, 0, 1, 1)
Choice = tuple[int, ...]


@dataclass
class Held:
    choice: Choice
    status: str
    seq: int | None


@dataclass
class Model:
    """The rules, written as plainly as possible."""

    capacity: int
    caps: list[int]
    first_required: bool
    active: dict[str, Held] = field(default_factory=dict)
    seq: int = 0

    def confirmed(self, option: int | None = None) -> int:
        return sum(
            1
            for h in self.active.values()
            if h.status == "confirmed" and (option is None or option in h.choice)
        )

    def waiting_for(self, option: int) -> int:
        return sum(
            1 for h in self.active.values() if h.status == "waitlisted" and option in h.choice
        )

    def room(self, choice: Choice) -> bool:
        return self.confirmed() < self.capacity and all(
            self.confirmed(o) < self.caps[o] for o in choice
        )

    def held_back(self, option: int) -> bool:
        """The free places of the option are all kept for those already waiting for it."""
        return self.waiting_for(option) >= max(0, self.caps[option] - self.confirmed(option))

    def valid(self, choice: Choice) -> bool:
        return not self.first_required or any(GROUP_OF[o] == 0 for o in choice)

    def book(self, email: str, choice: Choice) -> str:
        if not self.valid(choice):
            return "invalid"
        if email in self.active:
            return "already_booked"
        if self.room(choice) and not any(self.held_back(o) for o in choice):
            self.active[email] = Held(choice, "confirmed", None)
        else:
            self.seq += 1
            self.active[email] = Held(choice, "waitlisted", self.seq)
        return self.active[email].status

    def promote(self) -> None:
        for held in sorted(
            (h for h in self.active.values() if h.status == "waitlisted"), key=lambda h: h.seq or 0
        ):
            if self.confirmed() >= self.capacity:
                break
            if self.room(held.choice):
                held.status = "confirmed"

    def cancel(self, email: str) -> bool:
        if self.active.pop(email, None) is None:
            return False
        self.promote()
        return True

    def change(self, email: str, group: int, option: int | None) -> str:
        """Set one group's choice (None: none); the other group keeps its own."""
        held = self.active.get(email)
        if held is None:
            return "missing"
        kept = tuple(o for o in held.choice if GROUP_OF[o] != group)
        choice = tuple(sorted((*kept, option) if option is not None else kept))
        if not self.valid(choice):
            return "invalid"
        if choice == held.choice:
            return "same"
        joined = [o for o in choice if o not in held.choice]
        if held.status == "confirmed" and any(self.held_back(o) for o in joined):
            return "option_full"
        held.choice = choice
        self.promote()
        return "changed"


def choices() -> st.SearchStrategy[Choice]:
    first = st.sampled_from([(), (0,), (1,)])
    second = st.sampled_from([(), (2,), (3,)])
    return st.tuples(first, second).map(lambda pair: pair[0] + pair[1])


class BookingMachine(RuleBasedStateMachine):
    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.settings = BookingsSettings(database_url=self.url, environment="test")
        self.db = Database(make_engine(self.url, pool_size=2, max_overflow=0), producer="test")
        self.ids: dict[str, uuid.UUID] = {}

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.db.dispose())
        self.loop.close()

    @initialize(
        capacity=st.integers(0, 5),
        caps=st.lists(st.integers(0, 4), min_size=4, max_size=4),
        first_required=st.booleans(),
    )
    def open_event(self, capacity: int, caps: list[int], first_required: bool) -> None:
        starts = datetime.now(UTC) + timedelta(days=30)
        self.options = [uuid.uuid4() for _ in GROUP_OF]
        self.groups = [
            OptionGroup(group_id=uuid.uuid4(), name="Dinner", required=first_required),
            OptionGroup(group_id=uuid.uuid4(), name="Workshop", required=False),
        ]
        self.state = EventState(
            event_id=uuid.uuid4(),
            version=1,
            title="Property",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=capacity,
            option_groups=self.groups,
            options=[
                EventOption(
                    option_id=oid,
                    name=f"o{n}",
                    capacity=cap,
                    group_id=self.groups[GROUP_OF[n]].group_id,
                )
                for n, (oid, cap) in enumerate(zip(self.options, caps, strict=True))
            ],
        )
        self.model = Model(capacity, list(caps), first_required)
        self.run(self._apply(self.state))

    async def _apply(self, state: EventState) -> None:
        async with self.db.unit_of_work() as uow:
            await apply_event_state(state, uow, self.settings)
            await uow.commit()

    @rule(people=st.lists(st.tuples(st.sampled_from(PEOPLE), choices()), min_size=1, max_size=4))
    def book(self, people: list[tuple[str, Choice]]) -> None:
        requests = [
            BookingRequest(email=email, name="N", option_ids=tuple(self.options[o] for o in choice))
            for email, choice in people
        ]
        outcomes = self.run(book_batch(self.db, self.settings, self.state.event_id, requests))
        for (email, choice), outcome in zip(people, outcomes, strict=True):
            expected = self.model.book(email, choice)
            if isinstance(outcome, Accepted):
                assert outcome.booking.status == expected
                self.ids[email] = outcome.booking.id
            else:
                assert isinstance(outcome, Refused) and outcome.error.code == expected

    @rule(email=st.sampled_from(PEOPLE))
    def cancel(self, email: str) -> None:
        if not self.model.cancel(email):
            return
        self.run(manage.cancel(self.db, self.settings, self.ids[email], by="attendee"))

    @rule(
        email=st.sampled_from(PEOPLE),
        group=st.integers(0, 1),
        pick=st.sampled_from([None, 0, 1]),
    )
    def change(self, email: str, group: int, pick: int | None) -> None:
        option = None if pick is None else 2 * group + pick
        expected = self.model.change(email, group, option)
        if expected == "missing":
            return
        new = None if option is None else self.options[option]
        changes = manage.Changes(choices={self.groups[group].group_id: new})
        try:
            self.run(manage.change(self.db, self.settings, self.ids[email], changes))
            assert expected in ("changed", "same")
        except DomainError as refused:
            assert refused.code == expected

    @rule(capacity=st.integers(0, 6), caps=st.lists(st.integers(0, 5), min_size=4, max_size=4))
    def change_capacity(self, capacity: int, caps: list[int]) -> None:
        options = [
            o.model_copy(update={"capacity": c})
            for o, c in zip(self.state.options, caps, strict=True)
        ]
        self.state = self.state.model_copy(
            update={"version": self.state.version + 1, "capacity": capacity, "options": options}
        )
        self.model.capacity, self.model.caps = capacity, list(caps)
        self.model.promote()
        self.run(self._apply(self.state))

    @invariant()
    def database_matches_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        rows, counters = self.run(self._stored())
        option_index = {oid: n for n, oid in enumerate(self.options)}
        stored = {
            r.email_key: (tuple(sorted(option_index[o] for o in r.option_ids)), r.status)
            for r in rows
        }
        expected = {e: (h.choice, h.status) for e, h in self.model.active.items()}
        assert stored == expected
        waiting = sorted((r.waitlist_seq, r.email_key) for r in rows if r.status == "waitlisted")
        assert [e for _, e in waiting] == [
            e for e, h in sorted(self.model.active.items(), key=lambda kv: kv[1].seq or 0)
            if h.status == "waitlisted"
        ]  # fmt: skip
        confirmed = sum(1 for r in rows if r.status == "confirmed")
        assert counters[0] == (confirmed, len(waiting))
        for option_id, option_confirmed, option_waiting in counters[1]:
            held = [r.status for r in rows if option_id in r.option_ids]
            assert (option_confirmed, option_waiting) == (
                held.count("confirmed"),
                held.count("waitlisted"),
            )

    async def _stored(self) -> tuple[list[sa.Row], tuple[tuple[int, int], list[tuple]]]:
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT email_key, option_ids, status, waitlist_seq FROM bookings "
                        "WHERE event_id = :e AND status IN ('confirmed', 'waitlisted')"
                    ),
                    {"e": self.state.event_id},
                )
            ).all()
            event = (
                await conn.execute(
                    sa.text("SELECT confirmed, waiting FROM event_replicas WHERE event_id = :e"),
                    {"e": self.state.event_id},
                )
            ).one()
            options = (
                await conn.execute(
                    sa.text(
                        "SELECT option_id, confirmed, waiting FROM event_options "
                        "WHERE event_id = :e"
                    ),
                    {"e": self.state.event_id},
                )
            ).all()
        return list(rows), ((event.confirmed, event.waiting), [tuple(o) for o in options])


def test_random_sequences_keep_the_rules(infra: Infra) -> None:
    BookingMachine.url = infra.database_urls["bookings"]
    BookingMachine.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    BookingMachine.TestCase().runTest()
