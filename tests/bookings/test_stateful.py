"""A property test: random book / cancel / change-option / capacity-change sequences run
against the real database through the use cases, and after every step the stored bookings
must be exactly what a simple model of the rules says, with the invariants holding."""

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
from shared.contracts import EventOption, EventState
from shared.db import Database, make_engine
from shared.errors import Conflict
from tests.support.infra import Infra

PEOPLE = [f"p{n}@example.org" for n in range(8)]


@dataclass
class Held:
    option: int
    status: str
    seq: int | None


@dataclass
class Model:
    """The rules, written as plainly as possible."""

    capacity: int
    caps: list[int]
    active: dict[str, Held] = field(default_factory=dict)
    seq: int = 0

    def confirmed(self, option: int | None = None) -> int:
        return sum(
            1
            for h in self.active.values()
            if h.status == "confirmed" and (option is None or h.option == option)
        )

    def waiting_for(self, option: int) -> int:
        return sum(
            1 for h in self.active.values() if h.status == "waitlisted" and h.option == option
        )

    def room(self, option: int) -> bool:
        return self.confirmed() < self.capacity and self.confirmed(option) < self.caps[option]

    def book(self, email: str, option: int) -> str:
        if email in self.active:
            return "already_booked"
        if self.room(option) and self.waiting_for(option) == 0:
            self.active[email] = Held(option, "confirmed", None)
        else:
            self.seq += 1
            self.active[email] = Held(option, "waitlisted", self.seq)
        return self.active[email].status

    def promote(self) -> None:
        for held in sorted(
            (h for h in self.active.values() if h.status == "waitlisted"), key=lambda h: h.seq or 0
        ):
            if self.confirmed() >= self.capacity:
                break
            if self.room(held.option):
                held.status = "confirmed"

    def cancel(self, email: str) -> bool:
        if self.active.pop(email, None) is None:
            return False
        self.promote()
        return True

    def change(self, email: str, option: int) -> str:
        held = self.active.get(email)
        if held is None:
            return "missing"
        if held.option == option:
            return "same"
        if held.status == "confirmed" and (
            self.confirmed(option) >= self.caps[option] or self.waiting_for(option) > 0
        ):
            return "option_full"
        held.option = option
        self.promote()
        return "changed"


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
        capacity=st.integers(0, 5), caps=st.lists(st.integers(0, 4), min_size=2, max_size=2)
    )
    def open_event(self, capacity: int, caps: list[int]) -> None:
        starts = datetime.now(UTC) + timedelta(days=30)
        self.options = [uuid.uuid4(), uuid.uuid4()]
        self.state = EventState(
            event_id=uuid.uuid4(),
            version=1,
            title="Property",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=capacity,
            options=[
                EventOption(option_id=oid, name=f"o{n}", capacity=cap)
                for n, (oid, cap) in enumerate(zip(self.options, caps, strict=True))
            ],
        )
        self.model = Model(capacity, list(caps))
        self.run(self._apply(self.state))

    async def _apply(self, state: EventState) -> None:
        async with self.db.unit_of_work() as uow:
            await apply_event_state(state, uow, self.settings)
            await uow.commit()

    @rule(
        people=st.lists(
            st.tuples(st.sampled_from(PEOPLE), st.integers(0, 1)), min_size=1, max_size=4
        )
    )
    def book(self, people: list[tuple[str, int]]) -> None:
        requests = [
            BookingRequest(email=email, name="N", option_id=self.options[option])
            for email, option in people
        ]
        outcomes = self.run(book_batch(self.db, self.settings, self.state.event_id, requests))
        for (email, option), outcome in zip(people, outcomes, strict=True):
            expected = self.model.book(email, option)
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

    @rule(email=st.sampled_from(PEOPLE), option=st.integers(0, 1))
    def change(self, email: str, option: int) -> None:
        expected = self.model.change(email, option)
        if expected == "missing":
            return
        changes = manage.Changes(option_id=self.options[option])
        try:
            self.run(manage.change(self.db, self.settings, self.ids[email], changes))
            assert expected in ("changed", "same")
        except Conflict as refused:
            assert refused.code == expected

    @rule(capacity=st.integers(0, 6), caps=st.lists(st.integers(0, 5), min_size=2, max_size=2))
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
        stored = {r.email_key: (option_index[r.option_id], r.status) for r in rows}
        expected = {e: (h.option, h.status) for e, h in self.model.active.items()}
        assert stored == expected
        waiting = sorted((r.waitlist_seq, r.email_key) for r in rows if r.status == "waitlisted")
        assert [e for _, e in waiting] == [
            e for e, h in sorted(self.model.active.items(), key=lambda kv: kv[1].seq or 0)
            if h.status == "waitlisted"
        ]  # fmt: skip
        confirmed = sum(1 for r in rows if r.status == "confirmed")
        assert counters[0] == (confirmed, len(waiting))
        for option_id, option_confirmed, option_waiting in counters[1]:
            held = [r.status for r in rows if r.option_id == option_id]
            assert (option_confirmed, option_waiting) == (
                held.count("confirmed"),
                held.count("waitlisted"),
            )

    async def _stored(self) -> tuple[list[sa.Row], tuple[tuple[int, int], list[tuple]]]:
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT email_key, option_id, status, waitlist_seq FROM bookings "
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
