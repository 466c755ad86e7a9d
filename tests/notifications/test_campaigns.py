"""Invitation campaigns: audience resolution, personal links, one-click opt-out, counts, and
the life cycle (pause, resume, cancel, scheduled start)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from shared.contracts import EventState
from shared.invitations import verify_invitation
from shared.settings import DEV_INVITATION_KEY
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state, member, unique_email
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


async def roster(bus: Bus, size: int, **names: str) -> tuple[uuid.UUID, list[str]]:
    """A cohort of `size` members, published as the catalogue would."""
    cohort = uuid.uuid4()
    emails = []
    for n in range(size):
        change = member(cohort, n + 1, name=names.get(str(n), f"Member {n}"))
        emails.append(change.email)
        await bus.publish("catalogue.cohort.member_added", change, producer="catalogue")
    return cohort, emails


async def ready_event(bus: Bus, client: httpx.AsyncClient, **overrides: object) -> EventState:
    event = event_state(**overrides)
    await bus.publish("catalogue.event.published", event, producer="catalogue")
    return event


async def create(client: httpx.AsyncClient, event: EventState, **body: object) -> dict:  # type: ignore[type-arg]
    payload = {"event_id": str(event.event_id), "subject": "You are invited", **body}

    async def created() -> dict | None:  # type: ignore[type-arg]
        answer = await client.post("/staff/campaigns", json=payload, headers=STAFF)
        if answer.status_code == 422 and "event_id" in answer.text:
            return None  # the event message is still on its way
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    return await wait_for(created, timeout=10, message="campaign created")  # type: ignore[return-value]


async def wait_roster(
    client: httpx.AsyncClient, event: EventState, cohort: uuid.UUID, size: int
) -> None:
    """The roster messages are handled (the preview resolves the audience from the replica)."""

    async def complete() -> bool:
        draft = await create(client, event, audience={"cohort_ids": [str(cohort)]})
        # A throwaway draft: its first invitee only exists once the roster has arrived.
        answer = await client.get(f"/staff/campaigns/{draft['id']}/preview", headers=STAFF)
        return answer.status_code == 200 and answer.json()["to"] != "invitee@example.org"

    await wait_for(complete, timeout=10, message="roster replicated")
    del size


async def counts(client: httpx.AsyncClient, campaign_id: str) -> dict:  # type: ignore[type-arg]
    answer = await client.get(f"/staff/campaigns/{campaign_id}", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_campaign_reaches_each_invitee_once_with_a_personal_link(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp, campaign_chunk_size=7) as (_, client):
        event = await ready_event(bus, client)
        cohort, members = await roster(
            bus, 20, **{"0": "<script>alert(1)</script>", "1": "Ann\nBcc: evil@example.org"}
        )
        extra = [members[3].upper(), unique_email("guest")]  # one duplicate (case), one new
        await wait_roster(client, event, cohort, 20)
        campaign = await create(
            client,
            event,
            audience={"cohort_ids": [str(cohort)], "emails": extra},
            message="Do come.\n\nBring a friend.",
        )
        assert campaign["status"] == "draft"
        launched = await client.post(f"/staff/campaigns/{campaign['id']}/launch", headers=STAFF)
        assert launched.status_code == 200, launched.text
        assert launched.json()["counts"]["recipients"] == 21

        everyone = [*members, extra[1]]
        await wait_for(
            lambda: len(smtp.received) >= 21 and all(smtp.to(e) for e in everyone), timeout=30
        )
        final = await wait_for(
            lambda: _completed(client, campaign["id"]), timeout=15, message="campaign completed"
        )
    assert final["counts"] == {
        "recipients": 21,
        "queued": 0,
        "sent": 21,
        "failed": 0,
        "cancelled": 0,
        "opted_out": 0,
        "booked": 0,
        "suppressed": 0,
        "declined": 0,
        "left_out": 0,
    }
    for address in everyone:
        assert len(smtp.to(address)) == 1, address
    assert not any("evil@example.org" in r.rcpt_tos for r in smtp.received)

    script = smtp.to(members[0])[0]
    assert script["To"].addresses[0].display_name == "<script>alert(1)</script>"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in script.get_body(("html",)).get_content()
    assert "<script>" not in script.get_body(("html",)).get_content()
    newline = smtp.to(members[1])[0]
    assert newline["To"].addresses[0].display_name == "Ann Bcc: evil@example.org"
    assert newline["Bcc"] is None

    message = smtp.to(members[5])[0]
    assert message["Subject"] == "You are invited"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip("<>")
    assert unsubscribe.startswith("http://notifications.example.org/public/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bring a friend." in text and "Bring a friend." in html
    assert unsubscribe in text and unsubscribe in html
    link = next(word for word in text.split() if "/book/" in word)
    assert link.startswith(f"http://bookings.example.org/book/{event.event_id}?invitation=")
    invitation = verify_invitation(
        DEV_INVITATION_KEY, parse_qs(urlparse(link).query)["invitation"][0]
    )
    assert (invitation.email, invitation.event_id) == (members[5], event.event_id)
    assert str(invitation.campaign_id) == campaign["id"]
    # Good until the event ends, however far ahead it is (not a fixed 60 days).
    assert abs(invitation.expires_at - event.ends_at) < timedelta(seconds=1)


async def _completed(client: httpx.AsyncClient, campaign_id: str) -> dict | None:  # type: ignore[type-arg]
    found = await counts(client, campaign_id)
    return found if found["status"] == "completed" else None


async def test_opt_out_is_honoured_by_later_campaigns_but_not_by_booking_emails(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (_, client):
        event = await ready_event(bus, client)
        leaver, stayer = unique_email("leaver"), unique_email("stayer")
        first = await create(client, event, audience={"emails": [leaver, stayer]})
        await client.post(f"/staff/campaigns/{first['id']}/launch", headers=STAFF)
        [invite] = await wait_for(lambda: smtp.to(leaver), timeout=15)
        url = str(invite["List-Unsubscribe"]).strip("<>")
        path = urlparse(url).path

        page = await client.get(path)
        assert page.status_code == 200 and '<form method="post"' in page.text
        one_click = await client.post(path, content="List-Unsubscribe=One-Click")
        assert one_click.status_code == 200
        assert (await client.post(path)).status_code == 200  # twice is fine

        second = await create(client, event, audience={"emails": [leaver.upper(), stayer]})
        launched = (
            await client.post(f"/staff/campaigns/{second['id']}/launch", headers=STAFF)
        ).json()
        assert launched["counts"]["recipients"] == 1 and launched["counts"]["opted_out"] == 1
        await wait_for(lambda: len(smtp.to(stayer)) == 2, timeout=15)

        booking = booking_state(event, attendee={"email": leaver})
        await bus.publish("bookings.booking.confirmed", booking)
        await wait_for(lambda: len(smtp.to(leaver)) == 2, timeout=15)
    assert smtp.to(leaver)[1]["Subject"].startswith("Your place is confirmed")


async def test_pause_resume_cancel_and_the_booked_count(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    addresses = [unique_email("inv") for _ in range(40)]
    async with notifications(
        infra, smtp, send_rate=20, campaign_chunk_size=10, campaign_claim_batch=2
    ) as (_, client):
        event = await ready_event(bus, client)
        campaign = await create(client, event, audience={"emails": addresses})
        cid = campaign["id"]
        await client.post(f"/staff/campaigns/{cid}/launch", headers=STAFF)
        await wait_for(lambda: len(smtp.received) >= 5, timeout=15)
        paused = await client.post(f"/staff/campaigns/{cid}/pause", headers=STAFF)
        assert paused.json()["status"] == "paused"
        assert (
            await client.post(f"/staff/campaigns/{cid}/pause", headers=STAFF)
        ).status_code == 409
        settled = len(smtp.received)
        await wait_for(lambda: _settled(smtp, settled), timeout=10)
        at_pause = len(smtp.received)
        assert at_pause < 40

        booked = booking_state(event, campaign_id=uuid.UUID(cid), attendee={"email": addresses[0]})
        await bus.publish("bookings.booking.confirmed", booked)
        await wait_for(lambda: _booked(client, cid), timeout=15)

        resumed = await client.post(f"/staff/campaigns/{cid}/resume", headers=STAFF)
        assert resumed.json()["status"] == "running"
        final = await wait_for(lambda: _completed(client, cid), timeout=30)
    invitations = [r for r in smtp.received if r.message["Subject"] == "You are invited"]
    assert sorted(a for r in invitations for a in r.rcpt_tos) == sorted(addresses)
    assert final["counts"]["sent"] == 40 and final["counts"]["booked"] == 1


def _settled(smtp: SmtpSink, seen: int) -> bool:
    """Nothing new arrived since the last look (sends already on the wire may still land)."""
    now = len(smtp.received)
    settled = now == getattr(_settled, "last", -1)
    _settled.last = now  # type: ignore[attr-defined]
    return settled and now >= seen


async def _booked(client: httpx.AsyncClient, campaign_id: str) -> bool:
    return (await counts(client, campaign_id))["counts"]["booked"] == 1


async def test_cancel_stops_a_campaign_and_scheduled_ones_start_on_time(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(
        infra, smtp, send_rate=20, campaign_chunk_size=5, campaign_claim_batch=2
    ) as (_, client):
        event = await ready_event(bus, client)
        many = [unique_email("c") for _ in range(60)]
        doomed = await create(client, event, audience={"emails": many})
        await client.post(f"/staff/campaigns/{doomed['id']}/launch", headers=STAFF)
        await wait_for(lambda: len(smtp.received) >= 3, timeout=15)
        cancelled = (
            await client.post(f"/staff/campaigns/{doomed['id']}/cancel", headers=STAFF)
        ).json()
        assert cancelled["status"] == "cancelled"
        assert (
            await client.post(f"/staff/campaigns/{doomed['id']}/resume", headers=STAFF)
        ).status_code == 409

        later = unique_email("later")
        send_at = datetime.now(UTC) + timedelta(seconds=1.5)
        scheduled = await create(
            client, event, audience={"emails": [later]}, send_at=send_at.isoformat()
        )
        answer = (
            await client.post(f"/staff/campaigns/{scheduled['id']}/launch", headers=STAFF)
        ).json()
        assert answer["status"] == "scheduled"
        [message] = await wait_for(lambda: smtp.to(later), timeout=15)
        arrived = datetime.now(UTC)
        final = await counts(client, doomed["id"])
    assert arrived >= send_at
    assert len(smtp.received) - 1 < 60
    assert final["counts"]["sent"] + final["counts"]["cancelled"] == 60
    assert message["Subject"] == "You are invited"
