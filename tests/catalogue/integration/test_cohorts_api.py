"""Cohorts and rosters over HTTP: CSV import (bad rows, duplicates, re-import), members one by
one, and the member messages with their roster versions, written with the change."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import CohortMemberAdded, CohortMemberRemoved
from tests.catalogue.support import (
    emitted,
    error_fields,
    make_cohort,
    make_event,
    make_programme,
    outbox_mark,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]
CSV = {"Content-Type": "text/csv; charset=utf-8"}

ROSTER = (
    "\ufeffname,email,organisation,role\r\n"
    "Ada Lovelace,ada@example.org,Salford City Council,Director of Place\r\n"
    "Bob Evans,bob@example.org,Bolton Council,Head of Service\r\n"
    "No Email,,Bolton Council,x\r\n"
    "Cy Patel,not-an-email,Wigan Council,x\r\n"
    "Bob Again,BOB@example.org,Wigan Council,x\r\n"
    "Dee Shah,dee@example.org,Oldham Council,Locality Lead\r\n"
).encode()


async def cohort_for(client: httpx.AsyncClient, headers: Headers) -> dict:
    programme = await make_programme(client, headers)
    return await make_cohort(client, headers, programme["id"])


async def roster_messages(engine: AsyncEngine, cohort_id: str, after: int) -> list:
    return [
        m
        for m in await emitted(engine, after=after, type_prefix="catalogue.cohort.")
        if m.payload["cohort_id"] == cohort_id
    ]


async def test_a_dry_run_gives_the_same_report_and_writes_nothing(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    cohort = await cohort_for(client, staff_headers)
    url = f"/staff/cohorts/{cohort['id']}/roster"
    mark = await outbox_mark(engine)
    headers = {**staff_headers, **CSV}
    preview = await client.post(f"{url}?dry_run=true", content=ROSTER, headers=headers)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert (report["created"], report["updated"], len(report["errors"])) == (3, 0, 3)
    assert (report["roster_version"], report["member_count"]) == (0, 3)
    members = await client.get(f"/staff/cohorts/{cohort['id']}/members", headers=staff_headers)
    assert members.json() == []
    assert await roster_messages(engine, cohort["id"], mark) == []
    done = await client.post(url, content=ROSTER, headers=headers)
    assert {k: v for k, v in done.json().items() if k != "roster_version"} == {
        k: v for k, v in report.items() if k != "roster_version"
    }


async def test_import_reports_bad_rows_and_takes_the_good_ones(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    cohort = await cohort_for(client, staff_headers)
    url = f"/staff/cohorts/{cohort['id']}/roster"
    mark = await outbox_mark(engine)
    response = await client.post(url, content=ROSTER, headers={**staff_headers, **CSV})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    assert [(e["line"], e["reason"]) for e in report["errors"]] == [
        (4, "email is missing"),
        (5, "An email address must have an @-sign."),
        (6, "the same email as line 3"),
    ]
    assert (report["roster_version"], report["member_count"]) == (3, 3)
    messages = await roster_messages(engine, cohort["id"], mark)
    added = [CohortMemberAdded.model_validate(m.payload) for m in messages]
    assert [(a.email, a.version, a.cohort_number) for a in added] == [
        ("ada@example.org", 1, 1),
        ("bob@example.org", 2, 1),
        ("dee@example.org", 3, 1),
    ]
    assert added[0].organisation == "Salford City Council" and added[0].role == "Director of Place"

    # The same file again changes nothing and says nothing.
    mark = await outbox_mark(engine)
    again = (await client.post(url, content=ROSTER, headers={**staff_headers, **CSV})).json()
    assert (again["created"], again["updated"], again["unchanged"], again["roster_version"]) == (
        0,
        0,
        3,
        3,
    )
    assert await roster_messages(engine, cohort["id"], mark) == []


async def test_an_email_already_in_the_cohort_is_updated_not_duplicated(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    cohort = await cohort_for(client, staff_headers)
    url = f"/staff/cohorts/{cohort['id']}/roster"
    await client.post(url, content=ROSTER, headers={**staff_headers, **CSV})
    members = (
        await client.get(f"/staff/cohorts/{cohort['id']}/members", headers=staff_headers)
    ).json()
    ada = next(m for m in members if m["email"] == "ada@example.org")
    mark = await outbox_mark(engine)
    moved = b"name,email,organisation,role\nAda Lovelace,ADA@example.org,GMCA,Chief Executive\n"
    report = (await client.post(url, content=moved, headers={**staff_headers, **CSV})).json()
    assert (report["created"], report["updated"], report["member_count"]) == (0, 1, 3)
    [message] = await roster_messages(engine, cohort["id"], mark)
    changed = CohortMemberAdded.model_validate(message.payload)
    assert (changed.member_id, changed.organisation, changed.version) == (
        uuid.UUID(ada["id"]),
        "GMCA",
        4,
    )


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b'{"name": "x"}', 415),
        ("text/csv", b"", 422),
        ("text/csv", b"who,what\nx,y\n", 422),
        ("text/csv", "name,email\nZoë,z@example.org\n".encode("latin-1"), 422),
        ("text/csv", b"name,email\n" + b"x" * (2 * 1024 * 1024), 413),
    ],
)
async def test_an_unreadable_file_is_refused_whole(
    client: httpx.AsyncClient, staff_headers: Headers, content_type: str, body: bytes, status: int
) -> None:
    cohort = await cohort_for(client, staff_headers)
    response = await client.post(
        f"/staff/cohorts/{cohort['id']}/roster",
        content=body,
        headers={**staff_headers, "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    members = await client.get(f"/staff/cohorts/{cohort['id']}/members", headers=staff_headers)
    assert members.json() == []


async def test_import_into_an_unknown_cohort_is_404(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    response = await client.post(
        f"/staff/cohorts/{uuid.uuid4()}/roster", content=ROSTER, headers={**staff_headers, **CSV}
    )
    assert (response.status_code, response.json()["code"]) == (404, "cohort_not_found")


async def test_members_one_by_one(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    cohort = await cohort_for(client, staff_headers)
    base = f"/staff/cohorts/{cohort['id']}/members"
    mark = await outbox_mark(engine)
    added = await client.post(
        base, json={"email": "Eve@Example.org", "name": "Eve"}, headers=staff_headers
    )
    assert added.status_code == 201 and added.json()["email"] == "Eve@example.org"
    member_id = added.json()["id"]
    dup = await client.post(
        base, json={"email": "eve@example.org", "name": "E"}, headers=staff_headers
    )
    assert (dup.status_code, dup.json()["code"], dup.json()["member_id"]) == (
        409,
        "member_exists",
        member_id,
    )
    bad = await client.post(base, json={"email": "eve@", "name": ""}, headers=staff_headers)
    assert set(error_fields(bad)) == {"email", "name"}

    changed = await client.patch(
        f"{base}/{member_id}", json={"role": "Lead"}, headers=staff_headers
    )
    assert changed.json()["role"] == "Lead"
    same = await client.patch(f"{base}/{member_id}", json={"role": "Lead"}, headers=staff_headers)
    assert same.status_code == 200
    assert (await client.delete(f"{base}/{member_id}", headers=staff_headers)).status_code == 204
    assert (await client.delete(f"{base}/{member_id}", headers=staff_headers)).status_code == 404

    messages = await roster_messages(engine, cohort["id"], mark)
    assert [(m.type, m.payload["version"]) for m in messages] == [
        ("catalogue.cohort.member_added", 1),
        ("catalogue.cohort.member_added", 2),
        ("catalogue.cohort.member_removed", 3),
    ]
    removed = CohortMemberRemoved.model_validate(messages[-1].payload)
    assert (str(removed.member_id), removed.email) == (member_id, "Eve@example.org")
    cohort_now = (await client.get(f"/staff/cohorts/{cohort['id']}", headers=staff_headers)).json()
    assert (cohort_now["roster_version"], cohort_now["member_count"]) == (3, 0)


async def test_cohort_rules(client: httpx.AsyncClient, staff_headers: Headers) -> None:
    programme = await make_programme(client, staff_headers)
    pid = programme["id"]
    one = await make_cohort(client, staff_headers, pid, 1)
    assert one["name"] == "Cohort 1"
    again = await client.post(
        "/staff/cohorts", json={"programme_id": pid, "number": 1}, headers=staff_headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "cohort_number_taken")
    dates = await client.post(
        "/staff/cohorts",
        json={"programme_id": pid, "number": 2, "starts_on": "2030-02-01", "ends_on": "2030-01-01"},
        headers=staff_headers,
    )
    assert error_fields(dates) == ["ends_on"]
    nowhere = await client.post(
        "/staff/cohorts",
        json={"programme_id": str(uuid.uuid4()), "number": 1},
        headers=staff_headers,
    )
    assert error_fields(nowhere) == ["programme_id"]
    listed = await client.get("/staff/cohorts", params={"programme_id": pid}, headers=staff_headers)
    assert [c["number"] for c in listed.json()] == [1]

    # A cohort an event is open to, or with members, stays.
    await make_event(
        client,
        staff_headers,
        programme_id=pid,
        audience={"kind": "cohorts", "cohort_ids": [one["id"]]},
    )
    in_use = await client.delete(f"/staff/cohorts/{one['id']}", headers=staff_headers)
    assert (in_use.status_code, in_use.json()["code"]) == (409, "cohort_in_use")
    two = await make_cohort(client, staff_headers, pid, 2)
    await client.post(
        f"/staff/cohorts/{two['id']}/members",
        json={"email": "a@example.org", "name": "A"},
        headers=staff_headers,
    )
    busy = await client.delete(f"/staff/cohorts/{two['id']}", headers=staff_headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "cohort_has_members")
    three = await make_cohort(client, staff_headers, pid, 3)
    renumber = await client.patch(
        f"/staff/cohorts/{three['id']}", json={"number": 2}, headers=staff_headers
    )
    assert renumber.status_code == 409
    assert (
        await client.delete(f"/staff/cohorts/{three['id']}", headers=staff_headers)
    ).status_code == 204


async def test_roster_addresses_follow_the_shared_rule_idn_kept_ascii_non_ascii_local_refused(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    cohort = await cohort_for(client, staff_headers)
    url = f"/staff/cohorts/{cohort['id']}/roster"
    roster = (
        "name,email\r\n"
        "Jane Doe,jane@exämple.org\r\n"
        "Zoë Ünal,zoë@example.org\r\n"
        "Sean O'Brien,o'brien!x@example.org\r\n"
    ).encode()
    mark = await outbox_mark(engine)
    response = await client.post(url, content=roster, headers={**staff_headers, **CSV})
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["line"] == 3 and "ASCII before the @" in error["reason"]
    added = [
        CohortMemberAdded.model_validate(m.payload)
        for m in await roster_messages(engine, cohort["id"], mark)
    ]
    assert [a.email for a in added] == ["jane@xn--exmple-cua.org", "o'brien!x@example.org"]

    one = await client.post(
        f"/staff/cohorts/{cohort['id']}/members",
        json={"email": "zoë@example.org", "name": "Zoë"},
        headers=staff_headers,
    )
    assert one.status_code == 422 and "email" in error_fields(one)
