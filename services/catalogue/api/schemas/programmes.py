"""Programmes and their leadership expectations."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.catalogue.api.schemas.common import (
    Input,
    LongText,
    Name,
    Patch,
    Slug,
    Summary,
    WebUrl,
)
from services.catalogue.domain.programmes import Expectation, Programme
from services.catalogue.domain.slugs import slugify

# A label such as "2026-09" or "v3": recorded with each booking, so it stays short and plain.
NoticeVersion = Annotated[str, Field(max_length=50, pattern=r"^[\w.\-]*$")]


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
    privacy_notice_url: WebUrl | Literal[""] = ""
    privacy_notice_version: NoticeVersion = ""


class ProgrammeUpdate(Patch):
    name: Name | None = None
    slug: Slug | None = None
    description: LongText | None = None
    expectations: list[ExpectationIn] | None = Field(default=None, max_length=50)
    privacy_notice_url: WebUrl | Literal[""] | None = None
    privacy_notice_version: NoticeVersion | None = None


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
    privacy_notice_url: str = ""
    privacy_notice_version: str = ""

    @classmethod
    def of(cls, programme: Programme) -> ProgrammeOut:
        return cls.model_validate(programme, from_attributes=True)
