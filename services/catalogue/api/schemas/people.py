"""People who facilitate or speak."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from services.catalogue.api.schemas.common import Input, Name, Patch, ShortText
from services.catalogue.domain.people import Person


class PersonCreate(Input):
    name: Name
    title: ShortText = ""
    organisation: ShortText = ""


class PersonUpdate(Patch):
    name: Name | None = None
    title: ShortText | None = None
    organisation: ShortText | None = None


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str
    title: str
    organisation: str

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls.model_validate(person, from_attributes=True)
