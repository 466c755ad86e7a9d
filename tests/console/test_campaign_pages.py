"""The campaign pages over HTTP against the running services: bad input shown beside its
field with notifications' reason (an address refused, no event, a launch not confirmed, a
count gone stale), a hostile subject escaped, an uploaded address file, deliveries by person
and the suppression list; and the address list parser on its own."""

from __future__ import annotations

import uuid

import httpx

from services.console.domain import address_list
from tests.conftest import token
from tests.console.conftest import console_system, csrf_of  # noqa: F401
from tests.support.system import System
from tests.support.waiting import wait_for

STAFF = {"Authorization": f"Bearer {token('staff')}"}


def test_pasted_and_uploaded_addresses_are_kept_once_and_bad_cells_named() -> None:
    found = address_list.pasted("a@example.org, B@example.org\n\nnot-an-address;a@EXAMPLE.org")
    assert found.emails == ["a@example.org", "B@example.org"]
    assert found.problems == ["line 3: not an email address"]
    address_list.uploaded(
        b"\xef\xbb\xbfname,email\nAnn,ann@example.org\nBob,bob@@x\nB,b@example.org\n", found
    )
    assert found.emails == ["a@example.org", "B@example.org", "ann@example.org"]
    assert found.problems[-1] == "file line 3: not an email address"


async def _event(system: System, title: str) -> str:
    async with httpx.AsyncClient(base_url=system.url("catalogue"), headers=STAFF) as api:
        made = await api.post(
            "/staff/events",
            json={
                "title": title,
                "starts_at": "2031-09-01T09:00:00+00:00",
                "ends_at": "2031-09-01T12:00:00+00:00",
                "capacity": 20,
            },
        )
        assert made.status_code == 201, made.text
        assert (await api.post(f"/staff/events/{made.json()['id']}/publish")).status_code == 200
        return str(made.json()["id"])


async def test_compose_shows_each_problem_beside_its_field_and_launch_needs_the_count(
    admin: httpx.AsyncClient,
    console_system: System,  # noqa: F811
) -> None:
    event_id = await _event(console_system, f"Masterclass {uuid.uuid4().hex[:6]}")
    page = await admin.get("/campaigns/new")
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.text), "subject": "Hi", "emails": "ok@example.org"}
    no_event = await admin.post("/campaigns/new", data=form)
    assert no_event.status_code == 422 and 'id="f-event_id-error"' in no_event.text
    bad = await admin.post(
        "/campaigns/new", data={**form, "event_id": event_id, "emails": "x@example.org\nnope"}
    )
    assert bad.status_code == 422 and "line 2: not an email address" in bad.text
    assert 'id="f-emails-error"' in bad.text

    async def saved() -> httpx.Response | None:
        answer = await admin.post(
            "/campaigns/new",
            data={**form, "event_id": event_id, "subject": "<script>alert(1)</script>"},
            files={"upload": ("list.csv", b"email\nguest@example.org\n", "text/csv")},
        )
        return answer if answer.status_code == 303 else None

    made = await wait_for(saved, timeout=20, message="the event reached notifications")
    campaign = made.headers["location"].split("?")[0]
    shown = await admin.get(campaign)
    assert "<script>alert(1)</script>" not in shown.text and "&lt;script&gt;" in shown.text
    assert '<strong id="reaches">2</strong>' in shown.text
    csrf = csrf_of(shown.text)
    unticked = await admin.post(
        f"{campaign}/action", data={"csrf_token": csrf, "action": "launch", "count": "2"}
    )
    assert unticked.status_code == 422 and "tick the box to confirm sending to 2" in unticked.text
    stale = await admin.post(
        f"{campaign}/action",
        data={"csrf_token": csrf, "action": "launch", "count": "5", "confirm": "yes"},
    )
    assert stale.status_code == 422 and "it now reaches 2 people" in stale.text
    odd = await admin.post(f"{campaign}/action", data={"csrf_token": csrf, "action": "explode"})
    assert odd.status_code == 422
    resumed = await admin.post(f"{campaign}/action", data={"csrf_token": csrf, "action": "resume"})
    assert resumed.status_code == 409 and "a draft campaign cannot resume" in resumed.text
    edited = await admin.post(f"{campaign}/edit", data={"csrf_token": csrf, "subject": ""})
    assert edited.status_code == 422 and 'id="f-subject-error"' in edited.text
    go = await admin.post(
        f"{campaign}/action",
        data={"csrf_token": csrf, "action": "launch", "count": "2", "confirm": "yes"},
    )
    assert go.status_code == 303 and "notice=campaign-launched" in go.headers["location"]
    progress = await admin.get(f"{campaign}/progress")
    assert progress.status_code == 200 and 'id="progress"' in progress.text
    listed = await admin.get("/campaigns", params={"status": "nonsense"})
    assert listed.status_code == 200 and "&lt;script&gt;" in listed.text

    person = await admin.get("/deliveries", params={"email": "guest@example.org"})
    assert person.status_code == 200 and "Every email sent to guest@example.org" in person.text
    gone = await admin.post(
        "/suppressions/lift", data={"csrf_token": csrf, "email": "nobody@example.org"}
    )
    assert gone.status_code == 404 and "not on the suppression list" in gone.text
    missing = await admin.get(f"/campaigns/{uuid.uuid4()}")
    assert missing.status_code == 404
