import pytest

from services.bookings.domain.capacity import decide, remaining
from shared.errors import Conflict


def test_confirmed_while_places_remain() -> None:
    assert decide(capacity=2, confirmed=1, waiting=0, waitlist_enabled=True).status == "confirmed"


def test_waitlisted_with_position_when_full() -> None:
    decision = decide(capacity=2, confirmed=2, waiting=3, waitlist_enabled=True)
    assert (decision.status, decision.waitlist_position) == ("waitlisted", 4)


def test_nobody_jumps_the_waiting_list() -> None:
    # A place has freed up but people wait: the newcomer queues behind them.
    decision = decide(capacity=2, confirmed=1, waiting=1, waitlist_enabled=True)
    assert (decision.status, decision.waitlist_position) == ("waitlisted", 2)


def test_full_without_waiting_list_is_a_conflict() -> None:
    with pytest.raises(Conflict) as caught:
        decide(capacity=1, confirmed=1, waiting=0, waitlist_enabled=False)
    assert caught.value.code == "full"


def test_capacity_cut_below_confirmed_leaves_nothing_not_a_negative() -> None:
    assert remaining(capacity=3, confirmed=5) == 0
    assert decide(capacity=3, confirmed=5, waiting=0, waitlist_enabled=True).status == "waitlisted"
