"""Cohorts and their rosters: who belongs, and the messages a roster change implies.

Every roster change takes the next roster version of its cohort, so consumers can order all
changes to one cohort (and to one member) and ignore a stale or repeated one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from shared.contracts import CohortMemberAdded, CohortMemberRemoved
from shared.errors import Invalid


@dataclass(frozen=True)
class Cohort:
    id: uuid.UUID
    programme_id: uuid.UUID
    number: int
    name: str
    starts_on: date | None = None
    ends_on: date | None = None
    roster_version: int = 0


@dataclass(frozen=True)
class MemberDetails:
    """What staff say about a delegate (a CSV row or a form)."""

    email: str
    name: str
    organisation: str = ""
    role: str = ""


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    cohort_id: uuid.UUID
    email: str
    name: str
    organisation: str = ""
    role: str = ""

    @property
    def email_key(self) -> str:
        return email_key(self.email)

    @property
    def details(self) -> MemberDetails:
        return MemberDetails(self.email, self.name, self.organisation, self.role)


@dataclass(frozen=True)
class RosterPlan:
    added: list[Member]
    updated: list[Member]
    unchanged: int


def email_key(email: str) -> str:
    """One person per address, whatever its case."""
    return email.strip().lower()


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid("ends_on", "must not be before starts_on")


def new_member(cohort_id: uuid.UUID, details: MemberDetails) -> Member:
    return Member(uuid.uuid4(), cohort_id, **vars(details))


def with_details(member: Member, details: MemberDetails) -> Member:
    return replace(member, **vars(details))


def plan_import(
    cohort_id: uuid.UUID, existing: Mapping[str, Member], rows: Sequence[MemberDetails]
) -> RosterPlan:
    """New emails are added, known ones updated if anything differs, identical ones left alone,
    so importing the same file twice changes nothing the second time."""
    added: list[Member] = []
    updated: list[Member] = []
    unchanged = 0
    for details in rows:
        current = existing.get(email_key(details.email))
        if current is None:
            added.append(new_member(cohort_id, details))
        elif current.details != details:
            updated.append(with_details(current, details))
        else:
            unchanged += 1
    return RosterPlan(added, updated, unchanged)


def added_message(cohort: Cohort, member: Member, version: int) -> CohortMemberAdded:
    return CohortMemberAdded(
        cohort_id=cohort.id,
        cohort_number=cohort.number,
        cohort_name=cohort.name,
        member_id=member.id,
        email=member.email,
        name=member.name,
        organisation=member.organisation,
        role=member.role,
        version=version,
    )


def removed_message(cohort: Cohort, member: Member, version: int) -> CohortMemberRemoved:
    return CohortMemberRemoved(
        cohort_id=cohort.id, member_id=member.id, email=member.email, version=version
    )
