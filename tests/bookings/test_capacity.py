"""The capacity rules on plain objects: places, options, the waiting list, promotions."""

from __future__ import annotations

import uuid

import pytest

from services.bookings.domain.capacity import OptionPlaces, Places, Waiter, remaining
from shared.errors import Conflict


def _places(capacity: int, *options: int, waitlist: bool = True, **counts: int) -> Places:
    opts = {
        (oid := uuid.uuid4()): OptionPlaces(oid, f"option {n}", cap)
        for n, cap in enumerate(options)
    }
    return Places(capacity=capacity, waitlist_enabled=waitlist, options=opts, **counts)


def test_confirmed_while_places_remain_then_waiting_in_order() -> None:
    places = _places(2)
    decisions = [places.admit(None) for _ in range(4)]
    assert [(d.status, d.waitlist_position) for d in decisions] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert (places.confirmed, places.waiting, places.waitlist_seq) == (2, 2, 2)


def test_nobody_jumps_the_waiting_list() -> None:
    # A place has freed up but people wait (after the cut-off, say): the newcomer queues too.
    places = _places(2, confirmed=1, waiting=1, waitlist_seq=1)
    assert places.admit(None).status == "waitlisted"


def test_full_without_waiting_list_is_a_conflict() -> None:
    places = _places(1, confirmed=1, waitlist=False)
    with pytest.raises(Conflict) as caught:
        places.admit(None)
    assert caught.value.code == "full"


def test_capacity_cut_below_confirmed_leaves_nothing_and_shows_the_overage() -> None:
    assert remaining(capacity=3, confirmed=5) == 0
    places = _places(3, confirmed=5)
    assert places.admit(None).status == "waitlisted"
    assert places.overage == 2


def test_an_option_fills_on_its_own_while_others_have_room() -> None:
    places = _places(3, 1, 2)
    small, large = places.options
    assert places.admit(small).status == "confirmed"
    assert places.admit(small).status == "waitlisted"
    # People waiting for one option do not hold up another.
    assert places.admit(large).status == "confirmed"
    assert places.remaining(small) == 0 and places.remaining(large) == 1


def test_event_capacity_binds_even_when_options_have_room() -> None:
    places = _places(1, 5, 5)
    first, second = places.options
    places.admit(first)
    assert places.admit(second).status == "waitlisted"


def test_promotion_is_first_come_first_served_among_those_who_fit() -> None:
    places = _places(2, 1, 1, confirmed=2, waiting=3)
    small, large = places.options
    places.options[small].confirmed = places.options[large].confirmed = 1
    places.options[small].waiting, places.options[large].waiting = 2, 1
    places.release("confirmed", large)
    waiters = [
        Waiter(uuid.uuid4(), small, 1),
        Waiter(uuid.uuid4(), large, 2),
        Waiter(uuid.uuid4(), small, 3),
    ]
    assert places.plan_promotions(waiters) == [waiters[1]]
    assert places.confirmed == 2 and places.options[large].confirmed == 1


def test_changing_option_needs_room_nobody_waits_for() -> None:
    places = _places(3, 1, 2)
    small, large = places.options
    places.admit(large)
    places.admit(small)
    with pytest.raises(Conflict):
        places.move("confirmed", large, small)
    places.move("confirmed", small, large)
    assert (places.options[small].confirmed, places.options[large].confirmed) == (0, 2)
    assert places.confirmed == 2
