"""A person known to every service: on a cohort roster, booked into two events (one with a
waiting list behind them), and invited by a campaign; and helpers to follow a request."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import token
from tests.support.system import System
from tests.support.waiting import wait_for

STAFF = {"Authorization": f"Bearer {token('staff')}"}
ADMIN = {"Authorization": f"Bearer {token('admin', subject='privacy-officer')}"}
LINK = re.compile(r"(http://\S+/privacy/download/[\w-]+\?expires=\d+&sig=[0-9a-f]+)")
EXPORT_SUBJECT = "the data we hold about you"


@dataclass
class Person:
    email: str
    name: str
    organisation: str
    booking_ids: list[str]
    event_ids: list[str]
    cohort_id: str
    campaign_id: str
    waiting_email: str
    waiting_booking_id: str


async def _post(client: httpx.AsyncClient, url: str, **kw: Any) -> Any:
    headers = {**STAFF, **kw.pop("headers", {})}
    answer = await client.post(url, headers=headers, **kw)
    assert answer.status_code in (200, 201, 202), answer.text
    return answer.json()


async def _event(client: httpx.AsyncClient, system: System, title: str, capacity: int) -> str:
    catalogue = system.url("catalogue")
    event = await _post(
        client,
        f"{catalogue}/staff/events",
        json={
            "title": title,
            "starts_at": "2031-05-06T09:00:00+00:00",
            "ends_at": "2031-05-06T16:00:00+00:00",
            "capacity": capacity,
        },
    )
    await _post(client, f"{catalogue}/staff/events/{event['id']}/publish")

    async def replicated() -> bool:
        answer = await client.get(f"{system.url('bookings')}/public/events/{event['id']}")
        return answer.status_code == 200

    await wait_for(replicated, timeout=30, message="event replicated to bookings")
    return str(event["id"])


async def _book(
    client: httpx.AsyncClient, system: System, event_id: str, **attendee: Any
) -> dict[str, Any]:
    answer = await client.post(
        f"{system.url('bookings')}/public/events/{event_id}/bookings", json=attendee
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def known_person(client: httpx.AsyncClient, system: System) -> Person:
    tag = uuid.uuid4().hex[:8]
    email = f"perpetua-{tag}@example.org"
    name = f"Perpetua Quist{tag}"
    organisation = f"Rochdale Borough{tag}"
    catalogue = system.url("catalogue")
    rosters_before = _members_added(system)
    programme = await _post(client, f"{catalogue}/staff/programmes", json={"name": f"P {tag}"})
    cohort = await _post(
        client, f"{catalogue}/staff/cohorts", json={"programme_id": programme["id"], "number": 1}
    )
    await _post(
        client,
        f"{catalogue}/staff/cohorts/{cohort['id']}/roster",
        content=f"name,email,organisation,role\n{name},{email},{organisation},Director\n".encode(),
        headers={"content-type": "text/csv"},
    )
    first = await _event(client, system, f"Immersion {tag}", capacity=1)
    second = await _event(client, system, f"Masterclass {tag}", capacity=5)
    attendee = {
        "name": name,
        "email": email,
        "organisation": organisation,
        "dietary_needs": f"no nuts {tag}",
        "access_needs": f"step-free {tag}",
    }
    booked = [await _book(client, system, e, **attendee) for e in (first, second)]
    assert [b["status"] for b in booked] == ["confirmed", "confirmed"]
    waiting_email = f"waiting-{tag}@example.org"
    waiting = await _book(
        client, system, first, name="Wilhelmina Oaks", email=waiting_email, organisation="X"
    )
    assert waiting["status"] == "waitlisted"
    # The roster reaches notifications by message: launch once it has.
    await wait_for(
        lambda: _members_added(system) > rosters_before,
        timeout=30,
        message="roster replicated to notifications",
    )
    notifications = system.url("notifications")
    # An event of its own: a campaign leaves out whoever is already booked on its event.
    reunion = await _event(client, system, f"Reunion {tag}", capacity=5)
    campaign = await _post(
        client,
        f"{notifications}/staff/campaigns",
        json={
            "event_id": reunion,
            "subject": "Join us",
            "audience": {"cohort_ids": [cohort["id"]]},
        },
    )

    await _post(client, f"{notifications}/staff/campaigns/{campaign['id']}/launch")
    await wait_for(
        lambda: len(system.smtp.to(email)) >= 3,
        timeout=40,
        message="two confirmations and an invitation",
    )
    return Person(
        email=email,
        name=name,
        organisation=organisation,
        booking_ids=[b["booking_id"] for b in booked],
        event_ids=[first, second],
        cohort_id=str(cohort["id"]),
        campaign_id=str(campaign["id"]),
        waiting_email=waiting_email,
        waiting_booking_id=waiting["booking_id"],
    )


def _members_added(system: System) -> int:
    return sum(
        1
        for line in system.services["notifications"].log_lines()
        if line["event"] == "message.handled"
        and line.get("message_type") == "catalogue.cohort.member_added"
    )


async def progress(client: httpx.AsyncClient, system: System, request_id: str) -> dict[str, Any]:
    answer = await client.get(
        f"{system.url('console')}/api/privacy/requests/{request_id}", headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def completed(client: httpx.AsyncClient, system: System, request_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        found = await progress(client, system, request_id)
        return found if found["completed_at"] else None

    return await wait_for(done, timeout=60, message=f"privacy request {request_id} complete")


async def download(client: httpx.AsyncClient, system: System, email: str) -> dict[str, Any]:
    """The archive behind the newest export email to `email`, with its CSV files."""
    mails = await wait_for(
        lambda: [m for m in system.smtp.to(email) if EXPORT_SUBJECT in str(m["Subject"])],
        timeout=40,
        message="the export email",
    )
    text = mails[-1].get_body(("plain",)).get_content()
    found = LINK.search(text)
    assert found, text
    answer = await client.get(found.group(1))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(answer.content))
    document = json.loads(bundle.read("archive.json"))
    document["_files"] = {n: bundle.read(n).decode() for n in bundle.namelist()}
    document["_link"] = found.group(1)
    return document  # type: ignore[no-any-return]
