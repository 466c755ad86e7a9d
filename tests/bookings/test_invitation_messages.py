"""Each invitation problem has its own reason (expired, another event, another address,
campaign cancelled, not valid), a cancelled campaign's links admit nobody, and a valid link
tells the widget who it is for, with what the roster holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from services.bookings.handlers import apply_campaign_progress, apply_member_added
from services.bookings.persistence.tables import bookings
from services.bookings.process import BookingsProcess
from shared.contracts import CampaignProgress, CohortMemberAdded
from shared.invitations import sign_invitation
from shared.settings import DEV_INVITATION_KEY
from tests.bookings.conftest import event_state, person, put_event

HOSTILE_NAME = '<img src=x onerror=alert(1)> =?utf-8?q?Evil?= "Bob"'


def _invite(event_id: uuid.UUID, email: str, campaign: uuid.UUID, **kw: object) -> str:
    return sign_invitation(
        DEV_INVITATION_KEY,
        event_id=event_id,
        email=email,
        campaign_id=campaign,
        **kw,  # type: ignore[arg-type]
    )


async def _count(process: BookingsProcess, event_id: uuid.UUID) -> int:
    async with process.db.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(bookings.c.event_id == event_id)
        return int((await conn.execute(query)).scalar_one())


async def test_each_invitation_problem_has_its_own_code_on_check_and_on_booking(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(audience=("invitation", [])))
    who, campaign = person(1), uuid.uuid4()
    cases = {
        "invitation_expired": _invite(
            state.event_id, who["email"], campaign, expires_at=datetime.now(UTC) - timedelta(1)
        ),
        "invitation_other_event": _invite(uuid.uuid4(), who["email"], campaign),
        "invitation_invalid": "not-a-token",
    }
    for code, token in cases.items():
        check = await client.post(
            f"/public/events/{state.event_id}/invitation", json={"invitation": token}
        )
        assert (check.status_code, check.json()["code"]) == (422, code), check.text
        assert check.json()["detail"][0]["loc"] == ["body", "invitation"]
        booked = await client.post(
            f"/public/events/{state.event_id}/bookings", json={**who, "invitation": token}
        )
        assert (booked.status_code, booked.json()["detail"][0]["type"]) == (422, code)
    other = _invite(state.event_id, "someone.else@example.org", campaign)
    booked = await client.post(
        f"/public/events/{state.event_id}/bookings", json={**who, "invitation": other}
    )
    assert (booked.status_code, booked.json()["code"]) == (422, "invitation_other_address")
    assert await _count(process, state.event_id) == 0


async def test_a_cancelled_campaigns_invitations_admit_nobody(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(audience=("invitation", [])))
    who, campaign = person(2), uuid.uuid4()
    token = _invite(state.event_id, who["email"], campaign)
    check = await client.post(
        f"/public/events/{state.event_id}/invitation", json={"invitation": token}
    )
    assert check.status_code == 200 and check.json()["email"] == who["email"]

    async with process.db.unit_of_work() as uow:
        for status in ("running", "cancelled", "cancelled"):  # a repeat changes nothing
            progress = CampaignProgress(
                campaign_id=campaign, event_id=state.event_id, status=status
            )
            await apply_campaign_progress(progress, uow)
        await uow.commit()

    check = await client.post(
        f"/public/events/{state.event_id}/invitation", json={"invitation": token}
    )
    assert (check.status_code, check.json()["code"]) == (422, "invitation_campaign_cancelled")
    booked = await client.post(
        f"/public/events/{state.event_id}/bookings", json={**who, "invitation": token}
    )
    assert (booked.status_code, booked.json()["code"]) == (422, "invitation_campaign_cancelled")
    assert await _count(process, state.event_id) == 0
    # Another campaign's invitation to the same event still works.
    fresh = _invite(state.event_id, who["email"], uuid.uuid4())
    booked = await client.post(
        f"/public/events/{state.event_id}/bookings", json={**who, "invitation": fresh}
    )
    assert booked.status_code == 201, booked.text


async def test_a_valid_invitation_brings_what_the_roster_holds(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    cohort = uuid.uuid4()
    state = await put_event(
        process.db, process.settings, event_state(audience=("cohorts", [cohort]))
    )
    email = f"Roster.Member.{uuid.uuid4().hex[:6]}@Example.org"
    async with process.db.unit_of_work() as uow:
        member = CohortMemberAdded(
            cohort_id=cohort,
            member_id=uuid.uuid4(),
            email=email,
            name=HOSTILE_NAME,
            organisation="Wigan Council",
            role="Director of Place",
            version=1,
        )
        await apply_member_added(member, uow)
        await uow.commit()
    token = _invite(state.event_id, email, uuid.uuid4())
    r = await client.post(f"/public/events/{state.event_id}/invitation", json={"invitation": token})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "email": email.lower(),
        "name": HOSTILE_NAME,
        "organisation": "Wigan Council",
        "role": "Director of Place",
    }
    # Someone on no roster: only the address the invitation carries.
    stranger = f"guest.{uuid.uuid4().hex[:6]}@example.org"
    r = await client.post(
        f"/public/events/{state.event_id}/invitation",
        json={"invitation": _invite(state.event_id, stranger, uuid.uuid4())},
    )
    assert r.json() == {"email": stranger, "name": "", "organisation": "", "role": ""}


async def test_the_invitation_check_refuses_bad_input(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state())
    url = f"/public/events/{state.event_id}/invitation"
    for body in ({}, {"invitation": ""}, {"invitation": "x" * 2001}, {"invitation": 5}):
        r = await client.post(url, json=body)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"] == ["body", "invitation"]
    r = await client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    missing = uuid.uuid4()
    token = _invite(missing, "a@example.org", uuid.uuid4())
    r = await client.post(f"/public/events/{missing}/invitation", json={"invitation": token})
    assert r.status_code == 404
    r = await client.post("/public/events/not-a-uuid/invitation", json={"invitation": token})
    assert r.status_code == 422
