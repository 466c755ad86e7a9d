"""The life cycle of an email (domain/deliveries.py) as plain rules: what an attempt leads to,
the growing capped delays, the deadline, the recipient cap, the claim's send-by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifications.domain.deliveries import (
    TRANSITIONS,
    Reason,
    RetryPolicy,
    State,
    after_attempt,
    first_over_cap,
    may_move,
    resendable,
    send_by,
    state_at_queue,
)
from services.notifications.domain.outcomes import Outcome

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    first_delay=timedelta(seconds=5), max_delay=timedelta(minutes=10), deadline=timedelta(hours=48)
)


def _after(kind: str, *, attempts: int = 1, age: timedelta = timedelta(0)) -> tuple:  # type: ignore[type-arg]
    d = after_attempt(
        Outcome(kind, "x"),  # type: ignore[arg-type]
        attempts=attempts,
        created_at=NOW - age,
        now=NOW,
        policy=POLICY,
    )
    return d.state, d.reason, d.next_attempt_at


def test_an_outage_or_a_4xx_defers_and_only_a_5xx_fails() -> None:
    assert _after("sent") == (State.SENT, None, None)
    assert _after("unavailable") == (
        State.DEFERRED,
        Reason.SERVER_UNAVAILABLE,
        NOW + timedelta(seconds=5),
    )
    assert _after("temporary")[:2] == (State.DEFERRED, Reason.TEMPORARY_REFUSAL)
    assert _after("permanent")[:2] == (State.FAILED, Reason.REJECTED)
    assert _after("unsendable")[:2] == (State.FAILED, Reason.UNSENDABLE)


def test_delays_double_up_to_the_cap() -> None:
    delays = [POLICY.delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [5, 10, 20, 40]
    assert max(delays) == 600 and delays[-1] == 600
    # Attempt 200 of an outage of a day still waits only the cap (no overflow, no parking).
    assert _after("unavailable", attempts=200, age=timedelta(hours=24))[2] == NOW + timedelta(
        minutes=10
    )


def test_the_deadline_fails_an_email_the_server_never_took() -> None:
    assert _after("unavailable", attempts=300, age=timedelta(hours=47, minutes=55))[:2] == (
        State.FAILED,
        Reason.DEADLINE,
    )
    assert _after("unavailable", attempts=300, age=timedelta(hours=47))[0] is State.DEFERRED


def test_transitions_allow_what_the_diagram_shows_and_nothing_from_a_final_state() -> None:
    assert may_move(State.QUEUED, State.SENDING)
    assert may_move(State.SENDING, State.DEFERRED) and may_move(State.DEFERRED, State.SENDING)
    assert may_move(State.FAILED, State.DEFERRED)  # a staff resend
    assert not may_move(State.SENT, State.SENDING)
    assert not may_move(State.SUPPRESSED, State.QUEUED)
    assert set(TRANSITIONS) == set(State)
    assert resendable(State.FAILED) and not resendable(State.SENT)
    assert not resendable(State.DEFERRED)


def test_transactional_emails_over_the_hourly_cap_are_suppressed_and_logged_once() -> None:
    assert state_at_queue(transactional=True, sent_last_hour=19, hourly_cap=20) is State.QUEUED
    assert state_at_queue(transactional=True, sent_last_hour=20, hourly_cap=20) is State.SUPPRESSED
    assert state_at_queue(transactional=False, sent_last_hour=99, hourly_cap=20) is State.QUEUED
    assert state_at_queue(transactional=True, sent_last_hour=99, hourly_cap=0) is State.QUEUED
    assert [first_over_cap(n) for n in (0, 1, 2)] == [True, False, False]


def test_a_claim_is_started_only_while_the_lease_leaves_room_to_finish() -> None:
    assert send_by(100.0, lease=60, smtp_timeout=10) == 140.0
    # A lease short against the timeout still leaves half of it.
    assert send_by(100.0, lease=3, smtp_timeout=10) == 101.5
