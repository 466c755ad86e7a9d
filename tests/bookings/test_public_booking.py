"""The public booking route: who gets a place, who waits, who is refused and why, and the
message each decision leaves in the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.bookings.process import BookingsProcess
from shared.invitations import sign_invitation
from shared.settings import DEV_INVITATION_KEY
from tests.bookings.conftest import event_state, messages, person, put_event


async def test_minimal_booking_is_confirmed_with_a_working_manage_token(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=2))
    who = person(1)
    r = await client.post(f"/public/events/{state.event_id}/bookings", json=who)
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["status"] == "confirmed" and answer["waitlist_position"] is None
    assert answer["manage_url"].endswith(answer["manage_token"])
    managed = (await client.get(f"/public/bookings/{answer['manage_token']}")).json()
    assert (managed["booking_id"], managed["email"]) == (answer["booking_id"], who["email"])
    [message] = await messages(process.db, event_id=state.event_id)
    assert message["type"] == "bookings.booking.confirmed"
    payload = message["payload"]
    assert payload["attendee"]["organisation"] == "Bolton Council"
    assert payload["manage_url"] == answer["manage_url"]
    assert payload["event_version"] == 1 and payload["version"] == 1
    assert message["correlation_id"] == r.headers["x-request-id"]


async def test_full_event_puts_people_on_the_waiting_list_in_order(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=1))
    answers = [
        (await client.post(f"/public/events/{state.event_id}/bookings", json=person(n))).json()
        for n in range(3)
    ]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    event = (await client.get(f"/public/events/{state.event_id}")).json()
    assert (event["remaining"], event["waiting"], event["booking_state"]) == (0, 2, "waitlist")
    kinds = [m["type"] for m in await messages(process.db, event_id=state.event_id)]
    assert kinds == ["bookings.booking.confirmed", *["bookings.booking.waitlisted"] * 2]


async def test_full_event_without_waiting_list_is_a_conflict(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, event_state(capacity=1, waitlist_enabled=False)
    )
    url = f"/public/events/{state.event_id}/bookings"
    assert (await client.post(url, json=person(1))).status_code == 201
    r = await client.post(url, json=person(2))
    assert (r.status_code, r.json()["code"]) == (409, "full")


async def test_options_each_keep_their_own_places(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=3, options=[("Street Wisdom", 1), ("Comedy", 2)]),
    )
    wisdom, comedy = (o.option_id for o in state.options)
    url = f"/public/events/{state.event_id}/bookings"
    first = await client.post(url, json=person(1, option_id=str(wisdom)))
    second = await client.post(url, json=person(2, option_id=str(wisdom)))
    third = await client.post(url, json=person(3, option_id=str(comedy)))
    assert [r.json()["status"] for r in (first, second, third)] == [
        "confirmed",
        "waitlisted",
        "confirmed",
    ]
    event = (await client.get(f"/public/events/{state.event_id}")).json()
    by_name = {o["name"]: o for o in event["options"]}
    assert by_name["Street Wisdom"]["remaining"] == 0 and by_name["Comedy"]["remaining"] == 1
    missing = await client.post(url, json=person(4))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == [
        "body",
        "option_ids",
    ]
    stranger = await client.post(url, json=person(5, option_id=str(uuid.uuid4())))
    assert stranger.status_code == 422


async def test_two_groups_one_optional_each_choice_keeps_its_places(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db,
        process.settings,
        event_state(
            capacity=5,
            groups=[
                ("Dinner activity", True, [("Canal walk", 1), ("Comedy", 4)]),
                ("Workshop slot", False, [("Morning", 1), ("Afternoon", 3)]),
            ],
        ),
    )
    walk, comedy, morning, afternoon = (o.option_id for o in state.options)
    dinner, workshop = (g.group_id for g in state.option_groups)
    url = f"/public/events/{state.event_id}/bookings"

    event = (await client.get(f"/public/events/{state.event_id}")).json()
    assert [(g["name"], g["required"]) for g in event["option_groups"]] == [
        ("Dinner activity", True),
        ("Workshop slot", False),
    ]
    assert [o["name"] for o in event["option_groups"][1]["options"]] == ["Morning", "Afternoon"]

    both = await client.post(url, json=person(1, option_ids=[str(walk), str(morning)]))
    assert both.status_code == 201 and both.json()["status"] == "confirmed"
    assert both.json()["option_ids"] == [str(walk), str(morning)]
    # "None" in the optional group: no workshop place taken.
    none = await client.post(url, json=person(2, option_ids=[str(comedy)]))
    assert none.status_code == 201 and none.json()["status"] == "confirmed"
    # The morning slot is full: the whole booking waits, as with one full option.
    full = await client.post(url, json=person(3, option_ids=[str(comedy), str(morning)]))
    assert full.status_code == 201 and full.json()["status"] == "waitlisted"

    bad = {
        "required group left out": [str(afternoon)],
        "two in one group": [str(walk), str(comedy)],
        "not this event's": [str(comedy), str(uuid.uuid4())],
    }
    for why, option_ids in bad.items():
        refused = await client.post(url, json=person(9, option_ids=option_ids))
        assert refused.status_code == 422, why
        assert refused.json()["detail"][0]["loc"] == ["body", "option_ids"], why
    assert (
        "Dinner activity"
        in (await client.post(url, json=person(9, option_ids=[str(afternoon)]))).json()["detail"][
            0
        ]["msg"]
    )

    # Changing the workshop keeps the dinner; leaving the workshop frees its place.
    token = both.json()["manage_token"]
    moved = await client.patch(
        f"/public/bookings/{token}", json={"choices": {str(workshop): str(afternoon)}}
    )
    assert moved.status_code == 200
    assert [(c["group_name"], c["option_name"]) for c in moved.json()["choices"]] == [
        ("Dinner activity", "Canal walk"),
        ("Workshop slot", "Afternoon"),
    ]
    # The freed morning place went to the person waiting for it (their dinner had room).
    waiting = (await client.get(f"/public/bookings/{full.json()['manage_token']}")).json()
    assert waiting["status"] == "confirmed"
    # The message carries every group's choice, and what it had before.
    [change] = [
        m["payload"]
        for m in await messages(process.db, event_id=state.event_id)
        if m["type"] == "bookings.booking.changed"
    ]
    assert [c["option_name"] for c in change["choices"]] == ["Canal walk", "Afternoon"]
    assert [c["option_name"] for c in change["previous_choices"]] == ["Canal walk", "Morning"]
    assert change["option_name"] == "Canal walk"
    cleared = await client.patch(
        f"/public/bookings/{token}", json={"choices": {str(workshop): None}}
    )
    assert [c["option_name"] for c in cleared.json()["choices"]] == ["Canal walk"]
    required = await client.patch(
        f"/public/bookings/{token}", json={"choices": {str(dinner): None}}
    )
    assert required.status_code == 422
    assert required.json()["detail"][0]["loc"] == ["body", "option_ids"]
    elsewhere = await client.patch(
        f"/public/bookings/{token}", json={"choices": {str(workshop): str(walk)}}
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["detail"][0]["loc"] == [
        "body",
        "choices",
    ]
    counts = {
        o["name"]: o
        for o in (await client.get(f"/public/events/{state.event_id}")).json()["options"]
    }
    # Afternoon has all 3 of its places again, bound by the event's 2 left.
    assert (counts["Morning"]["remaining"], counts["Afternoon"]["remaining"]) == (0, 2)
    assert counts["Canal walk"]["remaining"] == 0


async def test_second_booking_for_the_same_address_is_refused_and_its_link_resent(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state())
    who = person(1)
    url = f"/public/events/{state.event_id}/bookings"
    first = await client.post(url, json=who)
    again = await client.post(url, json={**who, "email": "  " + who["email"].upper() + " "})
    assert (again.status_code, again.json()["code"]) == (409, "already_booked")
    kinds = [m["type"] for m in await messages(process.db, event_id=state.event_id)]
    assert kinds == ["bookings.booking.confirmed", "bookings.booking.manage_link_requested"]
    resent = (await messages(process.db, event_id=state.event_id))[-1]["payload"]
    assert resent["booking_id"] == first.json()["booking_id"]
    # A third attempt soon after does not send a third email.
    await client.post(url, json=who)
    assert len(await messages(process.db, event_id=state.event_id)) == 2


async def test_booking_window_refusals_carry_the_window(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    later = await put_event(process.db, process.settings, event_state(booking_opens_at=opens))
    r = await client.post(f"/public/events/{later.event_id}/bookings", json=person(1))
    assert (r.status_code, r.json()["code"]) == (409, "booking_not_open")
    assert datetime.fromisoformat(r.json()["window"]["opens_at"]) == opens
    closed = await put_event(
        process.db,
        process.settings,
        event_state(booking_closes_at=datetime.now(UTC) - timedelta(minutes=1)),
    )
    r = await client.post(f"/public/events/{closed.event_id}/bookings", json=person(2))
    assert (r.status_code, r.json()["code"]) == (409, "booking_closed")
    assert "closes_at" in r.json()["window"]
    event = (await client.get(f"/public/events/{closed.event_id}")).json()
    assert event["booking_state"] == "closed" and event["window"]["open"] is False


async def test_invitation_only_event_takes_a_valid_invitation_for_that_address(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(audience=("invitation", [])))
    url = f"/public/events/{state.event_id}/bookings"
    who = person(1)
    campaign = uuid.uuid4()

    def invite(**kw: object) -> str:
        values: dict[str, object] = {
            "event_id": state.event_id,
            "email": who["email"],
            "campaign_id": campaign,
        }
        values.update(kw)
        return sign_invitation(DEV_INVITATION_KEY, **values)  # type: ignore[arg-type]

    r = await client.post(url, json=who)
    assert (r.status_code, r.json()["code"]) == (403, "invitation_required")
    for bad in (
        invite(event_id=uuid.uuid4()),
        invite(email="someone.else@example.org"),
        invite(expires_at=datetime.now(UTC) - timedelta(seconds=1)),
        sign_invitation(
            "another-key-" + "x" * 32,
            event_id=state.event_id,
            email=who["email"],
            campaign_id=campaign,
        ),
        "not-a-token",
    ):
        r = await client.post(url, json={**who, "invitation": bad})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "invitation"]
    r = await client.post(url, params={"invitation": invite()}, json=who)
    assert r.status_code == 201, r.text
    [message] = await messages(process.db, event_id=state.event_id)
    assert message["payload"]["campaign_id"] == str(campaign)


async def test_cohort_event_takes_members_of_its_cohorts_only(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    from services.bookings.handlers import apply_member_added, apply_member_removed
    from shared.contracts import CohortMemberAdded, CohortMemberRemoved

    cohort = uuid.uuid4()
    state = await put_event(
        process.db, process.settings, event_state(audience=("cohorts", [cohort]))
    )
    member, outsider = person(1), person(2)
    member_id = uuid.uuid4()
    async with process.db.unit_of_work() as uow:
        added = CohortMemberAdded(
            cohort_id=cohort,
            member_id=member_id,
            email=member["email"].upper(),
            name="M",
            version=3,
        )
        await apply_member_added(added, uow)
        # A stale removal (older roster version) changes nothing.
        await apply_member_removed(
            CohortMemberRemoved(
                cohort_id=cohort, member_id=member_id, email=member["email"], version=2
            ),
            uow,
        )
        await uow.commit()
    url = f"/public/events/{state.event_id}/bookings"
    r = await client.post(url, json=outsider)
    assert (r.status_code, r.json()["code"]) == (403, "not_on_roster")
    assert (await client.post(url, json=member)).status_code == 201
    event = (await client.get(f"/public/events/{state.event_id}")).json()
    assert event["audience"] == {"kind": "cohorts"}


async def test_an_unknown_option_does_not_reveal_roster_membership(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    from services.bookings.handlers import apply_member_added
    from shared.contracts import CohortMemberAdded

    cohort = uuid.uuid4()
    state = await put_event(
        process.db,
        process.settings,
        event_state(audience=("cohorts", [cohort]), options=[("Walk", 5)]),
    )
    member, outsider = person(1), person(2)
    async with process.db.unit_of_work() as uow:
        await apply_member_added(
            CohortMemberAdded(
                cohort_id=cohort, member_id=uuid.uuid4(), email=member["email"], name="M", version=1
            ),
            uow,
        )
        await uow.commit()
    url = f"/public/events/{state.event_id}/bookings"
    unknown = str(uuid.uuid4())
    for who in (outsider, member, outsider):
        r = await client.post(url, json={**who, "option_id": unknown})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"][-1] == "option_ids"
    walk = str(state.options[0].option_id)
    r = await client.post(url, json={**outsider, "option_id": walk})
    assert (r.status_code, r.json()["code"]) == (403, "not_on_roster")
    assert (await client.post(url, json={**member, "option_id": walk})).status_code == 201
