"""Erasure across the services while notifications is stopped (its consumer is a process of
this test; the shared broker keeps running): bookings and the catalogue do their part at once,
the freed place goes to the first waiting; notifications does its part when it is started
again; then nothing about the person is left in any table of the four databases, and no
campaign reaches them again."""

from __future__ import annotations

import httpx
import pytest

from tests.privacy.support import ADMIN, STAFF, completed, download, known_person, progress
from tests.support.personal_data import find_strings
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_erasure_while_notifications_is_down_completes_when_it_returns(
    console_system: System,
) -> None:
    system = console_system
    async with httpx.AsyncClient(timeout=20) as client:
        person = await known_person(client, system)
        # An export before: its archive and address in the console go with the erasure.
        exported = await client.post(
            f"{system.url('console')}/api/privacy/requests",
            json={"email": person.email, "kind": "export"},
            headers=ADMIN,
        )
        assert exported.status_code == 202, exported.text
        await completed(client, system, exported.json()["id"])
        assert (await download(client, system, person.email))["services"]["bookings"]["bookings"]
        notifications = system.services["notifications"]
        notifications.stop()
        asked = await client.post(
            f"{system.url('console')}/api/privacy/requests",
            json={"email": person.email.upper(), "kind": "erasure"},
            headers=ADMIN,
        )
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["id"]

        async def two_answered() -> dict | None:  # type: ignore[type-arg]
            found = await progress(client, system, request_id)
            services = found["services"]
            return found if services["catalogue"] and services["bookings"] else None

        found = await wait_for(two_answered, timeout=60, message="catalogue and bookings erased")
        assert found["services"]["notifications"] is None and found["completed_at"] is None

        # The person's place to come was cancelled the normal way: the first waiting has it.
        async def promoted() -> bool:
            answer = await client.get(
                f"{system.url('bookings')}/staff/bookings/{person.waiting_booking_id}",
                headers=STAFF,
            )
            return answer.json()["status"] == "confirmed"

        await wait_for(promoted, timeout=30, message="the first waiting promoted")
        for booking_id in person.booking_ids:
            kept = await client.get(
                f"{system.url('bookings')}/staff/bookings/{booking_id}", headers=STAFF
            )
            assert kept.status_code == 200  # the row (and its count) stays, anonymous

        notifications.start()
        await notifications.wait_ready(timeout=90)
        await completed(client, system, request_id)
        await wait_for(
            lambda: any(
                str(m["Subject"]).startswith("A place came up")
                for m in system.smtp.to(person.waiting_email)
            ),
            timeout=40,
            message="the promoted person told",
        )
        # The erased person was told nothing: their emails stopped with the request.
        subjects = [str(m["Subject"]) for m in system.smtp.to(person.email)]
        assert not any(s.startswith("Your booking is cancelled") for s in subjects), subjects

        # Every booking message about the person is published by now; search every table.
        async def nothing_left() -> list | None:  # type: ignore[type-arg]
            hits = []
            for service, url in system.infra.database_urls.items():
                found = await find_strings(url, [person.email, person.name, person.organisation])
                hits += [(service, *hit) for hit in found]
            return hits

        hits = await nothing_left()
        assert hits == [], hits
        # The audit log says who asked and what each service did, by request id only.
        audit = await find_strings(system.infra.database_urls["console"], [request_id])
        assert ("audit_log", "target_id", request_id) in audit

        # A new campaign to the same cohort, staff naming the address again, reaches nobody:
        # the keyed hash on the suppression list recognises it.
        campaign = (
            await client.post(
                f"{system.url('notifications')}/staff/campaigns",
                json={
                    "event_id": person.event_ids[1],
                    "subject": "Join us again",
                    "audience": {"cohort_ids": [person.cohort_id], "emails": [person.email]},
                },
                headers=STAFF,
            )
        ).json()
        launched = await client.post(
            f"{system.url('notifications')}/staff/campaigns/{campaign['id']}/launch",
            headers=STAFF,
        )
        assert launched.status_code in (200, 202), launched.text

        async def resolved() -> dict | None:  # type: ignore[type-arg]
            found = (
                await client.get(
                    f"{system.url('notifications')}/staff/campaigns/{campaign['id']}",
                    headers=STAFF,
                )
            ).json()
            return found if found["status"] == "completed" else None

        done = await wait_for(resolved, timeout=30, message="second campaign resolved")
        # The erased address is left out as suppressed (kept only as a keyed hash), with its
        # reason recorded at launch.
        assert done["counts"]["recipients"] == 0, done
        audience = (
            await client.get(
                f"{system.url('notifications')}/staff/campaigns/{campaign['id']}/audience",
                headers=STAFF,
            )
        ).json()
        assert audience["left_out"]["suppressed"] == 1, audience
