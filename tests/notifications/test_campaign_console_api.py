"""The staff API the console's campaign pages use: the audience with who is left out and why,
follow-ups of those who have not booked, "I can't come", announcements to attendees, editing
and listing drafts, opt-outs in flight, resuming after the last batch, the suppression list,
deliveries by person and resends. Each with its bad input and programme scopes."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from services.notifications.domain.unsubscribe import sign_unsubscribe
from shared.contracts import CohortMemberRemoved, EventState
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state, member, unique_email
from tests.notifications.test_campaigns import counts, create, ready_event, roster, wait_roster
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


def field_of(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [str(part) for err in answer.json()["detail"] for part in err["loc"]]


async def opt_out(app: FastAPI, client: httpx.AsyncClient, email: str) -> None:
    key = app.state.settings.unsubscribe_signing_key.get_secret_value()
    link = sign_unsubscribe(key, email=email, campaign_id=None)
    assert (await client.post(f"/public/unsubscribe/{link}")).status_code == 200


async def bounce(client: httpx.AsyncClient, smtp: SmtpSink, email: str) -> None:
    """A real hard bounce: the sink refuses the address with a 550."""
    smtp.refuse.add(email.lower())
    sent = await client.post(
        "/staff/templates/confirmation/test", json={"email": email}, headers=STAFF
    )
    assert sent.status_code == 202, sent.text

    async def failed() -> bool:
        found = await client.get("/staff/deliveries", params={"email": email}, headers=STAFF)
        return any(d["state"] == "failed" and d["reason"] == "rejected" for d in found.json())

    await wait_for(failed, timeout=20, message="the address bounced")


async def book(bus: Bus, event: EventState, email: str, **overrides: object) -> None:
    booking = booking_state(event, attendee={"email": email}, **overrides)
    await bus.publish("bookings.booking.confirmed", booking, producer="bookings")


async def audience_of(client: httpx.AsyncClient, campaign_id: str) -> dict:  # type: ignore[type-arg]
    answer = await client.get(f"/staff/campaigns/{campaign_id}/audience", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def completed(client: httpx.AsyncClient, campaign_id: str) -> dict | None:  # type: ignore[type-arg]
    found = await counts(client, campaign_id)
    done = found["status"] == "completed" and found["counts"]["queued"] == 0
    return found if done else None


def subjects(smtp: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address)]


def link_in(text: str, path: str) -> str:
    return next(word for word in text.split() if path in word)


async def test_audience_names_who_is_left_out_and_the_follow_up_chases_exactly_the_rest(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (app, client):
        event = await ready_event(bus, client)
        cohort_a, a = await roster(bus, 5)
        cohort_b, b = await roster(bus, 5)
        await wait_roster(client, event, cohort_a, 5)
        await wait_roster(client, event, cohort_b, 5)
        await opt_out(app, client, a[0].upper())
        await book(bus, event, a[1])
        await bounce(client, smtp, b[1])
        draft = await create(client, event, audience={"cohort_ids": [str(cohort_a), str(cohort_b)]})

        async def settled() -> dict | None:  # type: ignore[type-arg]
            shown = await audience_of(client, draft["id"])
            return shown if shown["left_out"]["booked"] == 1 else None

        shown = await wait_for(settled, timeout=15, message="the booking replicated")
        assert shown["reaches"] == 7 and shown["resolved_at_launch"] is False
        assert {p["email"]: p["reason"] for p in shown["people_left_out"]} == {
            a[0]: "opted_out",
            a[1]: "booked",
            b[1]: "suppressed",
        }
        listed = await client.get("/staff/suppressions", headers=STAFF)
        assert listed.status_code == 200, listed.text
        entries = {(e["email"], e["reason"]) for e in listed.json()}
        assert (a[0].lower(), "opted_out") in entries and (b[1].lower(), "bounced") in entries

        launched = await client.post(f"/staff/campaigns/{draft['id']}/launch", headers=STAFF)
        assert launched.status_code == 200 and launched.json()["counts"]["recipients"] == 7
        invited = [*a[2:], b[0], *b[2:]]
        final = await wait_for(lambda: completed(client, draft["id"]), timeout=30)
        assert final["counts"]["sent"] == 7 and final["counts"]["left_out"] == 3
        assert final["counts"]["opted_out"] == 1
        for address in invited:
            assert len(smtp.to(address)) == 1, address
        assert not smtp.to(a[0]) and "You are invited" not in subjects(smtp, a[1])

        # a[2] cannot come (from the email); a[3] books from the invitation meanwhile.
        text = smtp.to(a[2])[0].get_body(("plain",)).get_content()
        decline = link_in(text, "/public/answers/").removeprefix("http://notifications.example.org")
        assert (await client.get(decline)).status_code == 200
        assert (await client.post(decline)).status_code == 200
        assert (await client.post(decline)).status_code == 200  # twice is once
        await book(bus, event, a[3], campaign_id=uuid.UUID(draft["id"]))
        await wait_for(
            lambda: _booked(client, draft["id"]), timeout=15, message="booked from the link"
        )
        answers = await client.get(f"/staff/campaigns/{draft['id']}/answers", headers=STAFF)
        assert [x["email"] for x in answers.json()] == [a[2].lower()]

        chase = await client.post(
            f"/staff/campaigns/{draft['id']}/follow-up",
            json={"subject": "Still time to book"},
            headers=STAFF,
        )
        assert chase.status_code == 201, chase.text
        assert chase.json()["kind"] == "follow_up" and chase.json()["status"] == "draft"
        chased = await audience_of(client, chase.json()["id"])
        assert chased["reaches"] == 5
        assert {p["email"]: p["reason"] for p in chased["people_left_out"]} == {
            a[2]: "declined",
            a[3]: "booked",
        }
        go = await client.post(f"/staff/campaigns/{chase.json()['id']}/launch", headers=STAFF)
        assert go.status_code == 200, go.text
        await wait_for(lambda: completed(client, chase.json()["id"]), timeout=30)
        rest = [a[4], b[0], *b[2:]]
        for address in rest:
            assert [m["Subject"] for m in smtp.to(address)][-1] == "Still time to book"
            assert len(smtp.to(address)) == 2, address
        assert subjects(smtp, a[2]) == ["You are invited"]
        assert "Still time to book" not in subjects(smtp, a[3])

        # Lifting the bounce lets campaigns reach the address again.
        lifted = await client.post("/staff/suppressions/lift", json={"email": b[1]}, headers=STAFF)
        assert lifted.status_code == 200 and lifted.json()[0]["reason"] == "bounced"
        again = await client.get("/staff/suppressions", params={"email": b[1]}, headers=STAFF)
        assert again.json() == []
        smtp.refuse.discard(b[1].lower())
        fresh = await create(client, event, audience={"cohort_ids": [str(cohort_b)]})
        assert b[1] not in {
            p["email"] for p in (await audience_of(client, fresh["id"]))["people_left_out"]
        }


async def _booked(client: httpx.AsyncClient, campaign_id: str) -> bool:
    return bool((await counts(client, campaign_id))["counts"]["booked"] == 1)


async def reaches(client: httpx.AsyncClient, campaign_id: str, count: int) -> bool:
    return bool((await audience_of(client, campaign_id))["reaches"] == count)


async def test_a_member_removed_from_the_roster_is_left_out_as_such(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (_, client):
        event = await ready_event(bus, client)
        cohort = uuid.uuid4()
        member_id = uuid.uuid4()
        gone = unique_email("gone")
        for n, (mid, email) in enumerate([(member_id, gone), (uuid.uuid4(), unique_email())]):
            change = member(cohort, n + 1, member_id=mid, email=email)
            await bus.publish("catalogue.cohort.member_added", change, producer="catalogue")
        draft = await create(client, event, audience={"cohort_ids": [str(cohort)]})
        # The removal follows the additions once they are applied, as it does in life: the
        # consumer applies messages concurrently, and a removal applied before its member's
        # addition leaves a tombstone without the name (the late addition, older, is ignored).
        await wait_for(
            lambda: reaches(client, draft["id"], 2), timeout=15, message="the members replicated"
        )
        removed = CohortMemberRemoved(cohort_id=cohort, member_id=member_id, email=gone, version=3)
        await bus.publish("catalogue.cohort.member_removed", removed, producer="catalogue")

        async def settled() -> dict | None:  # type: ignore[type-arg]
            shown = await audience_of(client, draft["id"])
            return shown if shown["left_out"]["off_roster"] == 1 else None

        shown = await wait_for(settled, timeout=15, message="the removal replicated")
        assert shown["reaches"] == 1
        assert shown["people_left_out"] == [
            {"email": gone, "name": "Cohort Member", "reason": "off_roster"}
        ]


async def test_drafts_are_listed_filtered_and_edited_until_launched(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (_, client):
        event = await ready_event(bus, client)
        first = await create(client, event, audience={"emails": [unique_email()]})
        second = await create(client, event, audience={"emails": [unique_email()]})
        listed = await client.get(
            "/staff/campaigns", params={"event_id": str(event.event_id)}, headers=STAFF
        )
        assert [c["id"] for c in listed.json()] == [second["id"], first["id"]]
        assert listed.json()[0]["counts"]["recipients"] == 0

        path = f"/staff/campaigns/{first['id']}"
        edited = await client.patch(
            path, json={"subject": "New words", "message": "Hello"}, headers=STAFF
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["subject"] == "New words" and edited.json()["message"] == "Hello"
        who = unique_email("edited")
        edited = await client.patch(path, json={"audience": {"emails": [who]}}, headers=STAFF)
        assert edited.json()["emails"] == [who]

        assert "subject" in field_of(await client.patch(path, json={"subject": ""}, headers=STAFF))
        assert "subject" in field_of(
            await client.patch(path, json={"subject": None}, headers=STAFF)
        )
        assert "audience" in field_of(
            await client.patch(path, json={"audience": {}}, headers=STAFF)
        )
        assert "event_id" in field_of(
            await client.patch(path, json={"event_id": str(uuid.uuid4())}, headers=STAFF)
        )
        assert "send_at" in field_of(
            await client.patch(path, json={"send_at": "2030-01-01T09:00:00"}, headers=STAFF)
        )
        missing = f"/staff/campaigns/{uuid.uuid4()}"
        assert (await client.patch(missing, json={}, headers=STAFF)).status_code == 404
        assert (await client.get(f"{missing}/audience", headers=STAFF)).status_code == 404
        assert (await client.get(f"{missing}/answers", headers=STAFF)).status_code == 404
        assert "show" in field_of(
            await client.get(f"{path}/audience", params={"show": -1}, headers=STAFF)
        )
        for bad in ({"status": "lost"}, {"kind": "spam"}, {"limit": 0}, {"event_id": "x"}):
            assert next(iter(bad)) in field_of(
                await client.get("/staff/campaigns", params=bad, headers=STAFF)
            )
        chase = f"/staff/campaigns/{first['id']}/follow-up"
        refused = await client.post(chase, json={"subject": "Again"}, headers=STAFF)
        assert refused.status_code == 409 and refused.json()["code"] == "campaign_status"
        assert "subject" in field_of(await client.post(chase, json={}, headers=STAFF))
        assert (
            await client.post(f"{missing}/follow-up", json={"subject": "x"}, headers=STAFF)
        ).status_code == 404

        assert (await client.post(f"{path}/launch", headers=STAFF)).status_code == 200
        late = await client.patch(path, json={"subject": "Too late"}, headers=STAFF)
        assert late.status_code == 409 and late.json()["code"] == "campaign_status"
        await wait_for(lambda: completed(client, first["id"]), timeout=20)
        shown = await client.get(
            "/staff/campaigns", params={"status": "completed", "kind": "invitation"}, headers=STAFF
        )
        assert first["id"] in {c["id"] for c in shown.json()}
        assert second["id"] not in {c["id"] for c in shown.json()}
        assert len(smtp.to(who)) == 1 and smtp.to(who)[0]["Subject"] == "New words"


async def test_an_announcement_reaches_the_attendees_chosen_with_its_own_template(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (app, client):
        event = await ready_event(bus, client)
        dinner = uuid.uuid4()
        diner, walker, waiting, opted, second = (
            unique_email(p) for p in ("diner", "walk", "wait", "opt", "second")
        )
        await book(bus, event, diner, option_id=dinner, option_name="Dinner")
        # Dinner chosen in the booking's second option group: not its v1 `option_id`.
        choices = [
            {"group_id": str(uuid.uuid4()), "option_id": str(uuid.uuid4())},
            {"group_id": str(uuid.uuid4()), "option_id": str(dinner)},
        ]
        await book(bus, event, second, option_id=choices[0]["option_id"], choices=choices)
        await book(bus, event, walker)
        await book(bus, event, opted, option_id=dinner, option_name="Dinner")
        await book(bus, event, waiting, status="waitlisted", option_id=dinner)
        await opt_out(app, client, opted)  # from invitations: told about their booking still
        body = {
            "event_id": str(event.event_id),
            "subject": "The room has changed",
            "message": "We meet in the Blue Room.",
            "option_ids": [str(dinner)],
        }
        made = await client.post("/staff/announcements", json=body, headers=STAFF)
        assert made.status_code == 201, made.text
        assert made.json()["kind"] == "announcement"

        async def settled() -> dict | None:  # type: ignore[type-arg]
            shown = await audience_of(client, made.json()["id"])
            return shown if shown["reaches"] == 3 else None

        await wait_for(settled, timeout=15, message="the bookings replicated")
        preview = await client.get(f"/staff/campaigns/{made.json()['id']}/preview", headers=STAFF)
        assert "Blue Room" in preview.json()["text"] and "/book/" not in preview.json()["text"]
        go = await client.post(f"/staff/campaigns/{made.json()['id']}/launch", headers=STAFF)
        assert go.status_code == 200, go.text
        await wait_for(lambda: completed(client, made.json()["id"]), timeout=20)
        told = "The room has changed"
        assert subjects(smtp, diner).count(told) == 1 and subjects(smtp, opted).count(told) == 1
        assert subjects(smtp, second).count(told) == 1
        assert told not in subjects(smtp, walker) and told not in subjects(smtp, waiting)
        text = next(m for m in smtp.to(diner) if m["Subject"] == told)
        text = text.get_body(("plain",)).get_content()
        assert "We meet in the Blue Room." in text and "/book/" not in text

        post = lambda json: client.post("/staff/announcements", json=json, headers=STAFF)  # noqa: E731
        assert "message" in field_of(await post({**body, "message": ""}))
        assert "statuses" in field_of(await post({**body, "statuses": ["cancelled"]}))
        assert "statuses" in field_of(await post({**body, "statuses": []}))
        assert "option_ids" in field_of(await post({**body, "option_ids": ["x"]}))
        assert "event_id" in field_of(await post({**body, "event_id": str(uuid.uuid4())}))
        refused = await client.post(
            f"/staff/campaigns/{made.json()['id']}/follow-up", json={"subject": "x"}, headers=STAFF
        )
        assert "campaign_id" in field_of(refused)


async def test_an_opt_out_during_the_send_stops_that_invitees_email(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    # One email a second, one claimed at a time, one chunk at a time: the opt-outs arrive
    # while the fourth row is still queued and before the second chunk is written.
    async with notifications(
        infra,
        smtp,
        send_rate=1,
        send_burst=1,
        campaign_claim_batch=1,
        campaign_chunk_size=5,
        campaign_prefetch=1,
    ) as (app, client):
        event = await ready_event(bus, client)
        cohort, people = await roster(bus, 8)
        people.sort()  # the order they are numbered in at launch (by address)
        await wait_roster(client, event, cohort, 8)
        draft = await create(client, event, audience={"cohort_ids": [str(cohort)]})
        assert (
            await client.post(f"/staff/campaigns/{draft['id']}/launch", headers=STAFF)
        ).status_code == 200
        await wait_for(lambda: smtp.to(people[0]), timeout=15, message="the first email")
        await opt_out(app, client, people[4])
        await opt_out(app, client, people[7])
        final = await wait_for(lambda: completed(client, draft["id"]), timeout=40)
    assert final["counts"]["sent"] == 6 and final["counts"]["opted_out"] == 2
    assert not smtp.to(people[4]) and not smtp.to(people[7])
    assert all(len(smtp.to(p)) == 1 for p in people if p not in (people[4], people[7]))


async def test_a_campaign_resumed_after_its_last_batch_finished_completes(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp, send_rate=1, send_burst=1) as (_, client):
        event = await ready_event(bus, client)
        cohort, people = await roster(bus, 3)
        await wait_roster(client, event, cohort, 3)
        draft = await create(client, event, audience={"cohort_ids": [str(cohort)]})
        path = f"/staff/campaigns/{draft['id']}"
        assert (await client.post(f"{path}/launch", headers=STAFF)).status_code == 200
        # The one batch holds all three: pausing now leaves it to finish.
        people.sort()  # numbered by address at launch
        await wait_for(lambda: smtp.to(people[0]), timeout=15, message="the first email")
        assert (await client.post(f"{path}/pause", headers=STAFF)).json()["status"] == "paused"

        async def all_sent() -> bool:
            shown = await counts(client, draft["id"])
            return bool(shown["counts"]["sent"] == 3)

        await wait_for(all_sent, timeout=20, message="the batch finished while paused")
        resumed = await client.post(f"{path}/resume", headers=STAFF)
        assert resumed.status_code == 200, resumed.text
        final = await wait_for(lambda: completed(client, draft["id"]), timeout=10)
    assert final["finished_at"] is not None
    assert all(len(smtp.to(p)) == 1 for p in people)


async def test_deliveries_by_person_resend_a_confirmation_and_a_failed_email_to_a_new_address(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (_, client):
        event = await ready_event(bus, client)
        leader = unique_email("leader")
        await book(bus, event, leader)
        await wait_for(lambda: smtp.to(leader), timeout=15, message="the confirmation")

        async def recorded() -> list | None:  # type: ignore[type-arg]
            found = await client.get(
                "/staff/deliveries", params={"email": leader.upper()}, headers=STAFF
            )
            shown = [(d["kind"], d["state"]) for d in found.json()]
            return found.json() if shown == [("confirmation", "sent")] else None  # type: ignore[no-any-return]

        original = (await wait_for(recorded, timeout=10, message="recorded as sent"))[0]
        copy = await client.post(f"/staff/deliveries/{original['id']}/resend", headers=STAFF)
        assert copy.status_code == 202, copy.text
        assert copy.json()["id"] != original["id"] and copy.json()["recipient"] == leader
        await wait_for(lambda: len(smtp.to(leader)) == 2, timeout=15, message="the copy")
        first, second = smtp.to(leader)
        assert first["Subject"] == second["Subject"]
        assert first["Message-ID"] != second["Message-ID"]

        wrong, right = unique_email("typo"), unique_email("fixed")
        await bounce(client, smtp, wrong)
        failed = (
            await client.get("/staff/deliveries", params={"email": wrong}, headers=STAFF)
        ).json()[0]
        fixed = await client.post(
            f"/staff/deliveries/{failed['id']}/resend", json={"email": right}, headers=STAFF
        )
        assert fixed.status_code == 202, fixed.text
        assert fixed.json()["recipient"] == right
        arrived = await wait_for(lambda: smtp.to(right), timeout=20, message="the fixed address")
        assert arrived[0]["To"].addresses[0].addr_spec == right
        assert not re.search(re.escape(wrong), arrived[0]["To"])

        post = lambda path, **kw: client.post(path, headers=STAFF, **kw)  # noqa: E731
        test_sent = await wait_for(lambda: _sent_test(client, right), timeout=10)
        refused = await post(f"/staff/deliveries/{test_sent}/resend")
        assert refused.status_code == 409 and refused.json()["code"] == "delivery_not_resendable"
        assert "email" in field_of(
            await post(f"/staff/deliveries/{original['id']}/resend", json={"email": "bad"})
        )
        assert (await post(f"/staff/deliveries/{uuid.uuid4()}/resend")).status_code == 404
        assert "email" in field_of(
            await client.get("/staff/deliveries", params={"email": "bad"}, headers=STAFF)
        )
        assert "email" in field_of(
            await client.get("/staff/suppressions", params={"email": "x"}, headers=STAFF)
        )
        assert "limit" in field_of(
            await client.get("/staff/suppressions", params={"limit": 0}, headers=STAFF)
        )
        assert "email" in field_of(await post("/staff/suppressions/lift", json={}))
        gone = await post("/staff/suppressions/lift", json={"email": unique_email()})
        assert gone.status_code == 404 and gone.json()["code"] == "not_suppressed"
        assert (await client.get("/public/answers/forged")).status_code == 404
        assert (await client.post("/public/answers/forged")).status_code == 404
        smtp.refuse.discard(wrong.lower())


async def _sent_test(client: httpx.AsyncClient, email: str) -> str | None:
    found = await client.get("/staff/deliveries", params={"email": email}, headers=STAFF)
    sent = [d for d in found.json() if d["state"] == "sent"]
    return str(sent[0]["id"]) if sent else None


async def test_programme_scopes_hold_on_the_new_routes(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    pat = {"Authorization": f"Bearer {token('staff', subject='pat', programmes=[str(ours)])}"}
    async with notifications(infra, smtp) as (_, client):
        their_event = event_state(programme_id=theirs)
        await bus.publish("catalogue.event.published", their_event, producer="catalogue")
        theirs_draft = await create(client, their_event, audience={"emails": [unique_email()]})
        path = f"/staff/campaigns/{theirs_draft['id']}"
        listed = await client.get("/staff/campaigns", headers=pat)
        assert listed.status_code == 200
        assert theirs_draft["id"] not in {c["id"] for c in listed.json()}
        assert (await client.get(f"{path}/audience", headers=pat)).status_code == 404
        assert (await client.get(f"{path}/answers", headers=pat)).status_code == 404
        assert (await client.patch(path, json={"subject": "x"}, headers=pat)).status_code == 404
        assert (
            await client.post(f"{path}/follow-up", json={"subject": "x"}, headers=pat)
        ).status_code == 404
        made = await client.post(
            "/staff/announcements",
            json={"event_id": str(their_event.event_id), "subject": "x", "message": "y"},
            headers=pat,
        )
        assert made.status_code == 403 and made.json()["code"] == "outside_programmes"
        assert (await client.get("/staff/suppressions", headers=pat)).status_code == 200
        lift = await client.post(
            "/staff/suppressions/lift", json={"email": unique_email()}, headers=pat
        )
        assert lift.status_code == 403
