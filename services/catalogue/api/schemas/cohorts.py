"""Cohorts, their members, and what a roster import did."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from services.catalogue.api.schemas.common import Input, Name, Patch
from services.catalogue.domain.cohorts import Cohort, Member, MemberDetails
from shared.contracts.attendees import Email, Organisation, PersonName, Role


class CohortCreate(Input):
    programme_id: uuid.UUID
    number: int = Field(ge=1, le=10_000)
    name: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class CohortUpdate(Patch):
    nullable = frozenset({"starts_on", "ends_on"})

    number: int | None = Field(default=None, ge=1, le=10_000)
    name: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class CohortOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    number: int
    name: str
    starts_on: date | None
    ends_on: date | None
    roster_version: int
    member_count: int | None = None

    @classmethod
    def of(cls, cohort: Cohort, *, member_count: int | None = None) -> CohortOut:
        return cls(**vars(cohort), member_count=member_count)


class MemberCreate(Input):
    email: Email
    name: PersonName
    organisation: Organisation = ""
    role: Role = ""

    def details(self) -> MemberDetails:
        return MemberDetails(self.email, self.name, self.organisation, self.role)


class MemberUpdate(Patch):
    email: Email | None = None
    name: PersonName | None = None
    organisation: Organisation | None = None
    role: Role | None = None


class MemberOut(BaseModel):
    id: uuid.UUID
    cohort_id: uuid.UUID
    email: str
    name: str
    organisation: str
    role: str

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls.model_validate(member, from_attributes=True)


class RowErrorOut(BaseModel):
    line: int
    reason: str


class RosterImportOut(BaseModel):
    """Good rows went in; each bad row is listed with its line in the file and why."""

    created: int
    updated: int
    unchanged: int
    errors: list[RowErrorOut]
    roster_version: int
    member_count: int
