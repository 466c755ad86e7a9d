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
    decisions = [places.admit(()) for _ in range(4)]
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
    assert places.admit(()).status == "waitlisted"


def test_full_without_waiting_list_is_a_conflict() -> None:
    places = _places(1, confirmed=1, waitlist=False)
    with pytest.raises(Conflict) as caught:
        places.admit(())
    assert caught.value.code == "full"


def test_capacity_cut_below_confirmed_leaves_nothing_and_shows_the_overage() -> None:
    assert remaining(capacity=3, confirmed=5) == 0
    places = _places(3, confirmed=5)
    assert places.admit(()).status == "waitlisted"
    assert places.overage == 2


def test_an_option_fills_on_its_own_while_others_have_room() -> None:
    places = _places(3, 1, 2)
    small, large = places.options
    assert places.admit((small,)).status == "confirmed"
    assert places.admit((small,)).status == "waitlisted"
    # People waiting for one option do not hold up another.
    assert places.admit((large,)).status == "confirmed"
    assert places.remaining((small,)) == 0 and places.remaining((large,)) == 1


def test_event_capacity_binds_even_when_options_have_room() -> None:
    places = _places(1, 5, 5)
    first, second = places.options
    places.admit((first,))
    assert places.admit((second,)).status == "waitlisted"


def test_promotion_is_first_come_first_served_among_those_who_fit() -> None:
    places = _places(2, 1, 1, confirmed=2, waiting=3)
    small, large = places.options
    places.options[small].confirmed = places.options[large].confirmed = 1
    places.options[small].waiting, places.options[large].waiting = 2, 1
    places.release("confirmed", (large,))
    waiters = [
        Waiter(uuid.uuid4(), (small,), 1),
        Waiter(uuid.uuid4(), (large,), 2),
        Waiter(uuid.uuid4(), (small,), 3),
    ]
    assert places.plan_promotions(waiters) == [waiters[1]]
    assert places.confirmed == 2 and places.options[large].confirmed == 1


def test_changing_option_needs_room_nobody_waits_for() -> None:
    places = _places(3, 1, 2)
    small, large = places.options
    places.admit((large,))
    places.admit((small,))
    with pytest.raises(Conflict):
        places.move("confirmed", (large,), (small,))
    places.move("confirmed", (small,), (large,))
    assert (places.options[small].confirmed, places.options[large].confirmed) == (0, 2)
    assert places.confirmed == 2


def _grouped(
    capacity: int, *groups: tuple[bool, tuple[int, ...]]
) -> tuple[Places, list[list[uuid.UUID]]]:
    """Places with option groups: (required, capacities of its options) each."""
    options: dict[uuid.UUID, OptionPlaces] = {}
    ids: list[list[uuid.UUID]] = []
    for g, (required, caps) in enumerate(groups):
        group_id, mine = uuid.uuid4(), []
        for n, cap in enumerate(caps):
            oid = uuid.uuid4()
            options[oid] = OptionPlaces(
                oid, f"g{g} o{n}", cap, position=n, group_id=group_id, group_name=f"group {g}",
                group_required=required, group_position=g,
            )  # fmt: skip
            mine.append(oid)
        ids.append(mine)
    return Places(capacity=capacity, waitlist_enabled=True, options=options), ids


def test_a_booking_waits_whole_when_one_groups_option_is_full() -> None:
    # The dinner's walk is full, the workshop has room: as with one full option, the booking
    # waits (holding both choices) rather than taking half.
    places, ((walk, cruise), (morning,)) = _grouped(10, (True, (1, 5)), (False, (5,)))
    assert places.admit((walk, morning)).status == "confirmed"
    decision = places.admit((walk, morning))
    assert decision.status == "waitlisted"
    assert places.options[walk].waiting == places.options[morning].waiting == 1
    assert places.options[morning].confirmed == 1 and places.confirmed == 1
    # "None" in the optional group holds nobody's place and jumps nobody.
    assert places.admit((cruise,)).status == "confirmed"
    # The morning slot keeps one place for the person waiting (for the walk) who chose it,
    # and lets newcomers have the rest.
    assert [places.admit((cruise, morning)).status for _ in range(4)] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert places.options[morning].remaining == 1 and places.options[morning].waiting == 2


def test_promotion_needs_room_in_every_chosen_option() -> None:
    places, ((walk,), (morning,)) = _grouped(10, (True, (1,)), (True, (1,)))
    places.admit((walk, morning))
    places.admit((walk, morning))
    waiter = Waiter(uuid.uuid4(), (walk, morning), 1)
    assert places.plan_promotions([waiter]) == []
    places.release("confirmed", (walk, morning))
    assert places.plan_promotions([waiter]) == [waiter]
    assert places.options[walk].confirmed == places.options[morning].confirmed == 1


def test_changing_one_group_keeps_the_others_place() -> None:
    places, ((walk, cruise), (morning, evening)) = _grouped(10, (True, (5, 5)), (False, (1, 1)))
    places.admit((walk, morning))
    places.move("confirmed", (walk, morning), (cruise, morning))
    assert places.options[morning].confirmed == 1 and places.options[cruise].confirmed == 1
    places.move("confirmed", (cruise, morning), (cruise,))
    assert places.options[morning].confirmed == 0 and places.confirmed == 1
    places.admit((walk, evening))
    with pytest.raises(Conflict):
        places.move("confirmed", (cruise,), (cruise, evening))
