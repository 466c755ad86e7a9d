"""Programmes and their leadership expectations."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from services.catalogue.api.schemas.common import Input, LongText, Name, Patch, Slug, Summary
from services.catalogue.domain.programmes import Expectation, Programme
from services.catalogue.domain.slugs import slugify


class ExpectationIn(Input):
    name: Name
    code: Slug | None = None
    description: Summary = ""

    def to_domain(self) -> Expectation:
        return Expectation(
            self.code or slugify(self.name, fallback="expectation"), self.name, self.description
        )


class ProgrammeCreate(Input):
    name: Name
    slug: Slug | None = None
    description: LongText = ""
    expectations: list[ExpectationIn] = Field(default_factory=list, max_length=50)


class ProgrammeUpdate(Patch):
    name: Name | None = None
    slug: Slug | None = None
    description: LongText | None = None
    expectations: list[ExpectationIn] | None = Field(default=None, max_length=50)


class ExpectationOut(BaseModel):
    code: str
    name: str
    description: str


class ProgrammeOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    description: str
    expectations: list[ExpectationOut]

    @classmethod
    def of(cls, programme: Programme) -> ProgrammeOut:
        return cls.model_validate(programme, from_attributes=True)
