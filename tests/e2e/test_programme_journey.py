"""A programme's journey through all three services as real processes: staff build a cohort
and an invitation-only event with options, a campaign invites the cohort, invitees book from
their personal links, a cancellation promotes the first waiting, the event is cancelled and
everyone affected is told, and no log line carries anyone's address or name."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from email.message import EmailMessage

import httpx
import icalendar
import pytest

from tests.e2e.test_booking_flow import STAFF, metric
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE = [
    ("Philippa Quennell", "Bury Council"),
    ("Ignatius Worsley", "Wigan NHS Trust"),
    ("Rosalind Hebblethwaite", "Oldham Housing"),
]


def calendar_method(message: EmailMessage) -> str | None:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return str(icalendar.Calendar.from_ical(parts[0].get_content())["METHOD"]) if parts else None


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


async def test_invite_book_promote_and_cancel_across_the_services(system: System) -> None:
    tag = uuid.uuid4().hex[:6]
    people = [(name, org, f"{name.split()[0].lower()}-{tag}@example.org") for name, org in PEOPLE]
    extra = f"guest-{tag}@example.org"
    catalogue, bookings, notifications = (
        system.url(s) for s in ("catalogue", "bookings", "notifications")
    )
    smtp = system.smtp
    async with httpx.AsyncClient(timeout=15) as client:

        async def post(url: str, **kw: object) -> dict:  # type: ignore[type-arg]
            headers = {**STAFF, **kw.pop("headers", {})}  # type: ignore[dict-item]
            answer = await client.post(url, headers=headers, **kw)  # type: ignore[arg-type]
            assert answer.status_code in (200, 201), answer.text
            return answer.json()  # type: ignore[no-any-return]

        programme = await post(f"{catalogue}/staff/programmes", json={"name": f"Journey {tag}"})
        cohort = await post(
            f"{catalogue}/staff/cohorts", json={"programme_id": programme["id"], "number": 1}
        )
        roster = "name,email,organisation,role\n" + "".join(
            f"{name},{email},{org},Director\n" for name, org, email in people
        )
        imported = await post(
            f"{catalogue}/staff/cohorts/{cohort['id']}/roster",
            content=roster.encode(),
            headers={**STAFF, "content-type": "text/csv"},
        )
        assert imported["created"] == 3
        event = await post(
            f"{catalogue}/staff/events",
            json={
                "title": "Reunion and Reflection",
                "programme_id": programme["id"],
                "starts_at": "2031-10-17T08:30:00+00:00",
                "ends_at": "2031-10-17T15:30:00+00:00",
                "capacity": 2,
                "audience": {"kind": "invitation"},
                "options": [
                    {"name": "Street Wisdom", "capacity": 1},
                    {"name": "Barnabus", "capacity": 1},
                ],
            },
        )
        await post(f"{catalogue}/staff/events/{event['id']}/publish")
        event_id = event["id"]

        async def bookable() -> dict | None:  # type: ignore[type-arg]
            answer = await client.get(f"{bookings}/public/events/{event_id}")
            return answer.json() if answer.status_code == 200 else None

        facts = await wait_for(bookable, message="event replicated to bookings")
        options = {o["name"]: o["option_id"] for o in facts["options"]}
        refused = await client.post(
            f"{bookings}/public/events/{event_id}/bookings",
            json={
                "name": "Walk In",
                "email": f"walkin-{tag}@example.org",
                "organisation": "X",
                "option_id": options["Barnabus"],
            },
        )
        assert refused.status_code == 403 and refused.json()["code"] == "invitation_required"

        # The roster reaches notifications through the catalogue's messages.
        def roster_known() -> bool:
            lines = system.services["notifications"].log_lines()
            return (
                sum(
                    1
                    for line in lines
                    if line["event"] == "message.handled"
                    and line.get("message_type") == "catalogue.cohort.member_added"
                )
                >= 3
            )

        await wait_for(roster_known, message="roster replicated to notifications")
        campaign = await post(
            f"{notifications}/staff/campaigns",
            json={
                "event_id": event_id,
                "subject": "Join us for the reunion",
                "audience": {"cohort_ids": [cohort["id"]], "emails": [extra, people[0][2].upper()]},
            },
        )
        await post(f"{notifications}/staff/campaigns/{campaign['id']}/launch")
        await wait_for(
            lambda: all(smtp.to(e) for *_, e in people) and smtp.to(extra),
            timeout=20,
            message="an invitation for each invitee",
        )
        assert len(smtp.to(people[0][2])) == 1  # listed twice, in two cases: invited once
        invitation = smtp.to(people[0][2])[0]
        assert invitation["List-Unsubscribe"] and invitation["List-Unsubscribe-Post"]

        answers = []
        for (name, org, email), option in zip(
            people, ["Street Wisdom"] * 2 + ["Barnabus"], strict=True
        ):
            [invite] = smtp.to(email)
            link = re.search(r"/book/[\w-]+\?invitation=([\w.\-]+)", text_of(invite))
            assert link, text_of(invite)
            answer = await client.post(
                f"{bookings}/public/events/{event_id}/bookings",
                json={
                    "name": name,
                    "email": email,
                    "organisation": org,
                    "option_id": options[option],
                    "invitation": link.group(1),
                },
            )
            assert answer.status_code == 201, answer.text
            answers.append(answer.json())
        assert [a["status"] for a in answers] == ["confirmed", "waitlisted", "confirmed"]

        async def campaign_counts() -> dict | None:  # type: ignore[type-arg]
            found = (
                await client.get(f"{notifications}/staff/campaigns/{campaign['id']}", headers=STAFF)
            ).json()
            return found if found["counts"]["booked"] == 3 else None

        found = await wait_for(campaign_counts, timeout=20, message="campaign counts bookings")
        assert found["counts"]["recipients"] == 4 and found["counts"]["sent"] == 4

        async def campaign_on_metrics() -> str | None:
            page = (await client.get(f"{notifications}/metrics")).text
            sent = metric(page, "emails_total", kind="invitation", outcome="sent")
            return page if sent == 4 else None

        page = await wait_for(campaign_on_metrics, message="campaign emails on /metrics")
        # A finished campaign's own series are gone, so their number stays bounded.
        assert f'campaign_id="{campaign["id"]}"' not in page

        # The first confirmed person cancels: the first waiting is promoted and told.
        first, waiting = people[0][2], people[1][2]
        cancelled = await client.post(
            f"{bookings}/public/bookings/{answers[0]['manage_token']}/cancel"
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

        def subjects(email: str) -> list[str]:
            return [str(m["Subject"]) for m in smtp.to(email)]

        await wait_for(
            lambda: (
                any(s.startswith("A place came up") for s in subjects(waiting))
                and any(s.startswith("Your booking is cancelled") for s in subjects(first))
            ),
            timeout=20,
            message="promotion and cancellation emails",
        )
        promotion = next(m for m in smtp.to(waiting) if m["Subject"].startswith("A place came up"))
        assert calendar_method(promotion) == "REQUEST"
        cancel_mail = next(
            m for m in smtp.to(first) if m["Subject"].startswith("Your booking is cancelled")
        )
        assert calendar_method(cancel_mail) == "CANCEL"

        # Staff cancel the event: everyone still booked is told why.
        await post(
            f"{catalogue}/staff/events/{event_id}/cancel", json={"reason": "the venue flooded"}
        )
        for email in (waiting, people[2][2]):
            await wait_for(
                lambda email=email: any(s.startswith("Cancelled:") for s in subjects(email)),
                timeout=20,
                message="event cancellation email",
            )
            told = next(m for m in smtp.to(email) if m["Subject"].startswith("Cancelled:"))
            assert "the venue flooded" in text_of(told)

        async def tally_caught_up() -> bool:
            shown = (await client.get(f"{catalogue}/staff/events/{event_id}", headers=STAFF)).json()
            return shown["booking_counts"] == {"confirmed": 0, "waitlisted": 0, "cancelled": 3}

        await wait_for(tally_caught_up, timeout=20, message="catalogue's booking tally")

        # Counted once each outcome is recorded, a moment after the email arrived.
        async def emails_counted() -> dict[str, float] | None:
            page = (await client.get(f"{notifications}/metrics")).text
            counts = {
                k: metric(page, "emails_total", kind=k, outcome="sent")
                for k in ("confirmation", "promoted", "cancelled")
            }
            return counts if counts["cancelled"] >= 3 else None

        counted = await wait_for(emails_counted, message="emails counted on /metrics")
        assert counted == {"confirmation": 2, "promoted": 1, "cancelled": 3}

    # Operations read these logs: nobody's address or name is in any line.
    for process in system.services.values():
        log_text = process.log_path.read_text()
        for name, _, email in people:
            assert email not in log_text.lower(), (process.service, email)
            for part in name.split():
                assert part not in log_text, (process.service, part)
        assert extra not in log_text


def spellings(value: str) -> set[str]:
    """The ways a value can appear in a JSON log line: as typed, lower-cased, and with the
    escapes a JSON writer may use for quotes and non-ASCII characters."""
    forms = {value, value.lower()}
    for form in list(forms):
        forms.add(json.dumps(form)[1:-1])
        forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return forms


async def test_unusual_people_leave_no_trace_in_any_log(system: System) -> None:
    """Internationalised and unusual addresses, names that are encoded words or carry quotes
    and commas, organisations and access needs go through a roster import, a campaign,
    bookings (one refused by validation, one by the database): none of it is in any line the
    three services wrote, nor in the lines about SMTP."""
    tag = uuid.uuid4().hex[:6]
    idn_typed = f"jane-{tag}@exämple.org"
    idn_stored = f"jane-{tag}@xn--exmple-cua.org"
    odd = f"o'brien!x-{tag}@example.org"
    quoted = f"hepzibah-{tag}@example.org"
    refused_local = f"zoë-{tag}"
    encoded_name = f"=?utf-8?q?Zebedee_Quillfeather{tag}?="
    quoted_name = f'"Hepzibah, Lady" O\'Tarrant{tag}'
    plain_name = f"Bartholomew Snodgrass{tag}"
    organisation = f"Fenwick, Thistlewaite & Daughters{tag}"
    needs = f"wheelchair user; nut allergy ({tag})"
    diet = f"kosher, no sesame {tag}"
    people = [
        (encoded_name, idn_typed, idn_stored),
        (quoted_name, quoted, quoted),
        (plain_name, odd, odd),
    ]
    catalogue, bookings, notifications = (
        system.url(s) for s in ("catalogue", "bookings", "notifications")
    )
    smtp = system.smtp
    async with httpx.AsyncClient(timeout=15) as client:

        async def post(url: str, **kw: object) -> dict:  # type: ignore[type-arg]
            headers = {**STAFF, **kw.pop("headers", {})}  # type: ignore[dict-item]
            answer = await client.post(url, headers=headers, **kw)  # type: ignore[arg-type]
            assert answer.status_code in (200, 201), answer.text
            return answer.json()  # type: ignore[no-any-return]

        programme = await post(f"{catalogue}/staff/programmes", json={"name": f"Privacy {tag}"})
        cohort = await post(
            f"{catalogue}/staff/cohorts", json={"programme_id": programme["id"], "number": 1}
        )

        def members_added() -> int:
            return sum(
                1
                for line in system.services["notifications"].log_lines()
                if line["event"] == "message.handled"
                and line.get("message_type") == "catalogue.cohort.member_added"
            )

        members_before = members_added()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["name", "email", "organisation", "role"])
        for name, typed, _ in people:
            writer.writerow([name, typed, organisation, "Director"])
        # A row the import refuses: its reason must not quote the address into a log either.
        writer.writerow([plain_name, f"{refused_local}@example.org", organisation, "Director"])
        imported = await post(
            f"{catalogue}/staff/cohorts/{cohort['id']}/roster",
            content=buffer.getvalue().encode(),
            headers={"content-type": "text/csv"},
        )
        assert imported["created"] == 3, imported
        event = await post(
            f"{catalogue}/staff/events",
            json={
                "title": f"Privacy day {tag}",
                "programme_id": programme["id"],
                "starts_at": "2031-11-17T08:30:00+00:00",
                "ends_at": "2031-11-17T15:30:00+00:00",
                "capacity": 10,
            },
        )
        await post(f"{catalogue}/staff/events/{event['id']}/publish")
        event_id = event["id"]

        async def bookable() -> bool:
            answer = await client.get(f"{bookings}/public/events/{event_id}")
            return answer.status_code == 200

        await wait_for(bookable, message="event replicated to bookings")

        def roster_known() -> bool:
            return members_added() >= members_before + len(people)

        await wait_for(roster_known, message="roster replicated to notifications")
        campaign = await post(
            f"{notifications}/staff/campaigns",
            json={
                "event_id": event_id,
                "subject": f"Come along, {tag}",
                "audience": {"cohort_ids": [cohort["id"]]},
            },
        )
        await post(f"{notifications}/staff/campaigns/{campaign['id']}/launch")
        await wait_for(
            lambda: all(smtp.to(stored) for *_, stored in people),
            timeout=30,
            message="an invitation to each member, the IDN one at its IDNA form",
        )

        booking_url = f"{bookings}/public/events/{event_id}/bookings"
        request_ids = {f"privacy-{tag}-{i}" for i in range(len(people))}
        for (name, typed, _), request_id in zip(people, sorted(request_ids), strict=True):
            answer = await client.post(
                booking_url,
                json={
                    "name": name,
                    "email": typed,
                    "organisation": organisation,
                    "dietary_needs": diet,
                    "access_needs": needs,
                },
                headers={"X-Request-ID": request_id},
            )
            assert answer.status_code == 201, answer.text

        # Refused by validation: the request carried the access needs.
        invalid = await client.post(
            booking_url,
            json={
                "name": plain_name,
                "email": f"{refused_local}@example.org",
                "organisation": organisation,
                "access_needs": needs,
            },
        )
        assert invalid.status_code == 422, invalid.text
        assert invalid.json()["detail"][0]["loc"] == ["body", "email"]

        # PostgreSQL text cannot hold a NUL character; the guard in front of every route
        # refuses it first, so this never reaches the database (no other outside input
        # found here does either: every column is unbounded text behind a bounded schema).
        nul = await client.post(
            booking_url,
            json={
                "name": plain_name,
                "email": f"nul-{tag}@example.org",
                "organisation": organisation,
                "access_needs": f"{needs}\u0000",
            },
        )
        assert nul.status_code == 422, nul.text

        await wait_for(
            lambda: all(len(smtp.to(stored)) >= 2 for *_, stored in people),
            timeout=30,
            message="a confirmation to each booker",
        )

        async def sends_recorded() -> bool:
            url = f"{notifications}/staff/campaigns/{campaign['id']}"
            found = (await client.get(url, headers=STAFF)).json()
            return bool(found["counts"]["sent"] == 3)

        await wait_for(sends_recorded, timeout=30, message="campaign sends recorded")

    def confirmations_logged() -> bool:
        sent = {
            line.get("correlation_id")
            for line in system.services["notifications"].log_lines()
            if line["event"] == "email.sent"
        }
        return request_ids <= sent

    # The confirmations' "sent" lines come a moment after the emails arrive.
    await wait_for(confirmations_logged, timeout=30, message="each confirmation's sent line")

    secrets = {
        idn_typed,
        idn_stored,
        f"jane-{tag}",
        odd,
        f"o'brien!x-{tag}",
        "o'brien",  # a prefix a narrow address pattern would leave unmasked
        "exämple",
        "xn--exmple",
        quoted,
        f"hepzibah-{tag}",
        refused_local,
        f"nul-{tag}",
        encoded_name,
        f"Quillfeather{tag}",
        quoted_name,
        f"O'Tarrant{tag}",
        "Hepzibah, Lady",
        plain_name,
        f"Snodgrass{tag}",
        organisation,
        f"Thistlewaite & Daughters{tag}",
        needs,
        "wheelchair user",
        "nut allergy",
        diet,
        "no sesame",
    }
    found = []
    for process in system.services.values():
        log_text = process.log_path.read_text()
        # Lines about SMTP (the sender, its sessions and refusals) are among these.
        assert "email.sent" in log_text or process.service != "notifications"
        for secret in secrets:
            for form in spellings(secret):
                if form in log_text:
                    line = next(line for line in log_text.splitlines() if form in line)
                    found.append((process.service, secret, line[:400]))
    assert not found, found
