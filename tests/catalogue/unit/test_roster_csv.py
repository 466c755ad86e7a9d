"""Reading rosters from CSV: bad rows with their line and reason, good rows out, and what a
second import of the same people would change (nothing)."""

from __future__ import annotations

import uuid

import pytest

from services.catalogue.domain.cohorts import Member, MemberDetails, plan_import
from services.catalogue.domain.roster_csv import parse_roster
from shared.errors import Invalid


def test_good_rows_with_a_byte_order_mark_and_header_variants() -> None:
    data = (
        "\ufeffFull Name,E-mail,Organization,Job Title\r\n"
        "Ada Lovelace,Ada@Example.ORG,Salford City Council,Director of Place\r\n"
        '"Okafor, Amara",amara@example.org,"Bolton Council","Head of ""Place"""\r\n'
    ).encode()
    parsed = parse_roster(data)
    assert parsed.errors == []
    assert parsed.rows == [
        MemberDetails(
            "Ada@example.org", "Ada Lovelace", "Salford City Council", "Director of Place"
        ),
        MemberDetails("amara@example.org", "Okafor, Amara", "Bolton Council", 'Head of "Place"'),
    ]


def test_first_and_last_name_columns_make_the_name() -> None:
    parsed = parse_roster(b"first name,surname,email\nGrace,Hopper,grace@example.org\n")
    assert parsed.rows[0].name == "Grace Hopper"


def test_each_bad_row_is_reported_with_its_line_and_reason() -> None:
    data = (
        "name,email,organisation,role\n"  # line 1
        "Ada,ada@example.org,A,B\n"  # 2 good
        ",nobody@example.org,A,B\n"  # 3 no name
        "Bob,,A,B\n"  # 4 no email
        "Cy,not-an-email,A,B\n"  # 5 invalid
        "\n"  # 6 blank: skipped silently
        'Dee,"dee@example.org",A,"a role\nover two lines"\n'  # 7-8 good, multi-line
        "Eve,ADA@example.org,A,B\n"  # 9 duplicate of line 2
        "Fay,fay@example.org,A,B,extra\n"  # 10 too many fields
        "Gus,gus@foo.test,A,B\n"  # 11 reserved domain
        f"{'x' * 201},long@example.org,A,B\n"  # 12 name too long
    ).encode()
    parsed = parse_roster(data)
    assert [r.email for r in parsed.rows] == ["ada@example.org", "dee@example.org"]
    reasons = {e.line: e.reason for e in parsed.errors}
    assert sorted(reasons) == [3, 4, 5, 9, 10, 11, 12]
    assert reasons[3] == "name is missing"
    assert reasons[4] == "email is missing"
    assert "@-sign" in reasons[5]
    assert reasons[9] == "the same email as line 2"
    assert "5 fields" in reasons[10]
    assert "special-use or reserved" in reasons[11]
    assert "longer than 200" in reasons[12]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"name,organisation\nAda,A\n", "email and name"),
        ("name,email\nZoë,zoe@example.org\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data: bytes, fragment: str) -> None:
    with pytest.raises(Invalid) as excinfo:
        parse_roster(data)
    assert excinfo.value.field == "body" and fragment in excinfo.value.message


def test_import_plan_adds_updates_and_leaves_alone() -> None:
    cohort = uuid.uuid4()
    ada = Member(uuid.uuid4(), cohort, "ada@example.org", "Ada", "A", "R")
    bob = Member(uuid.uuid4(), cohort, "bob@example.org", "Bob", "B", "R")
    rows = [
        MemberDetails("ADA@example.org", "Ada", "A", "R"),  # same person, email case changed
        MemberDetails("bob@example.org", "Bob", "B", "R"),  # identical
        MemberDetails("cy@example.org", "Cy", "C", "R"),  # new
    ]
    plan = plan_import(cohort, {ada.email_key: ada, bob.email_key: bob}, rows)
    assert [m.email for m in plan.added] == ["cy@example.org"]
    assert [(m.id, m.email) for m in plan.updated] == [(ada.id, "ADA@example.org")]
    assert plan.unchanged == 1
    # Once applied, the same rows change nothing.
    after = {m.email_key: m for m in [*plan.updated, bob, *plan.added]}
    again = plan_import(cohort, after, rows)
    assert (again.added, again.updated, again.unchanged) == ([], [], 3)
