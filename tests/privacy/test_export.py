"""Export across the services: staff ask in the console; each service answers for its own data
by message; the person gets one link to one archive holding every booking, email, roster
membership and audit entry about them. An unknown address looks, to the person, the same."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.console.conftest import csrf_of
from tests.privacy.support import (
    EXPORT_SUBJECT,
    Person,
    completed,
    download,
    known_person,
)
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def person(console_system: System) -> AsyncIterator[Person]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield await known_person(client, console_system)


async def _ask(admin: httpx.AsyncClient, email: str, kind: str) -> str:
    page = await admin.get("/privacy")
    assert page.status_code == 200
    answer = await admin.post(
        "/privacy/requests", data={"email": email, "kind": kind, "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0].rsplit("/", 1)[-1]


async def test_export_holds_both_bookings_the_campaign_email_and_the_roster(
    console_system: System, admin: httpx.AsyncClient, person: Person
) -> None:
    request_id = await _ask(admin, person.email, "export")
    async with httpx.AsyncClient(timeout=20) as client:
        done = await completed(client, console_system, request_id)
        assert all(done["services"].values()), done
        archive = await download(client, console_system, person.email)

    services = archive["services"]
    bookings = services["bookings"]["bookings"]
    assert sorted(b["booking_id"] for b in bookings) == sorted(person.booking_ids)
    assert {b["event_id"] for b in bookings} == set(person.event_ids)
    assert all(b["name"] == person.name and b["email"] == person.email for b in bookings)
    assert all(b["dietary_needs"].startswith("no nuts") for b in bookings)
    deliveries = services["notifications"]["deliveries"]
    invitations = [d for d in deliveries if d["campaign_id"] == person.campaign_id]
    assert len(invitations) == 1 and invitations[0]["kind"] == "invitation"
    confirmations = {d["booking_id"] for d in deliveries if d["kind"] == "confirmation"}
    assert confirmations == set(person.booking_ids)
    [membership] = services["catalogue"]["roster_memberships"]
    assert membership["cohort_id"] == person.cohort_id
    assert membership["organisation"] == person.organisation
    actions = {entry["action"] for entry in archive["audit"]}
    assert {"privacy.export_requested", "privacy.export_answered"} <= actions
    # The CSV beside the JSON: one line per booking, cells a spreadsheet will not run.
    lines = archive["_files"]["bookings-bookings.csv"].strip().splitlines()
    assert len(lines) == 3 and "booking_id" in lines[0]
    # The audit log names the request, never the address.
    audit = await admin.get(f"/audit?target_type=privacy_request&target_id={request_id}")
    assert audit.status_code == 200
    assert "privacy" in audit.text and person.email not in audit.text


async def test_the_progress_page_shows_which_services_answered(
    admin: httpx.AsyncClient, person: Person
) -> None:
    request_id = await _ask(admin, person.email, "export")

    async def all_answered() -> str | None:
        page = await admin.get(f"/privacy/requests/{request_id}")
        return page.text if page.text.count("answered</span>") == 3 else None

    page = await wait_for(all_answered, timeout=60, message="three services answered")
    assert "Catalogue" in page and "Bookings" in page and "Notifications" in page
    assert "Complete at" in page
    listing = await admin.get("/privacy")
    assert "3 of 3 answered" in listing.text and person.email not in listing.text


async def test_an_unknown_address_gets_the_same_email_and_archive_shape(
    console_system: System, admin: httpx.AsyncClient, person: Person
) -> None:
    stranger = f"nobody-{person.booking_ids[0][:8]}@example.org"
    request_id = await _ask(admin, stranger, "export")
    async with httpx.AsyncClient(timeout=20) as client:
        await completed(client, console_system, request_id)
        empty = await download(client, console_system, stranger)
        known = await download(client, console_system, person.email)
    [mail] = [m for m in console_system.smtp.to(stranger)]
    known_mail = [m for m in console_system.smtp.to(person.email) if EXPORT_SUBJECT in m["Subject"]]
    assert mail["Subject"] == known_mail[-1]["Subject"]
    assert set(empty["services"]) == set(known["services"])
    for service, kinds in known["services"].items():
        assert set(empty["services"][service]) == set(kinds)
        assert all(rows == [] for rows in empty["services"][service].values())


async def test_a_bad_download_link_answers_one_page_whatever_is_wrong(
    console_system: System, person: Person
) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        good = (await download(client, console_system, person.email))["_link"]
        base, query = good.split("?")
        request_id = base.rsplit("/", 1)[-1]
        expires, sig = (part.split("=")[1] for part in query.split("&"))
        flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
        variants = [
            f"{base}?expires={expires}&sig={flipped}",  # forged
            f"{base}?expires={int(expires) + 1}&sig={sig}",  # expiry changed
            f"{base}?expires=1&sig={sig}",  # expired
            f"{base.replace(request_id, '00000000-0000-0000-0000-000000000000')}?{query}",
            f"{base.replace(request_id, 'not-a-uuid')}?{query}",
            f"{base}?expires=soon&sig={sig}",
            f"{base}?expires={'9' * 30}&sig={sig}",
            base,
        ]
        answers = [await client.get(url) for url in variants]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
