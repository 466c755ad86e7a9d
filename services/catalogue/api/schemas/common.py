"""Field types and base models every catalogue schema uses."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from services.catalogue.domain.slugs import SLUG_PATTERN, looks_like_uuid

_HTTP_URL = TypeAdapter(HttpUrl)


def _not_uuid(slug: str) -> str:
    if looks_like_uuid(slug):
        raise ValueError("a slug must not look like an id")
    return slug


def _http_url(value: str) -> str:
    return str(_HTTP_URL.validate_python(value))


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80), AfterValidator(_not_uuid)]
Kind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
WebUrl = Annotated[str, Field(max_length=2_000), AfterValidator(_http_url)]
Places = Annotated[int, Field(ge=0, le=100_000)]


class Input(BaseModel):
    """Unknown fields are refused, so a misspelt field is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Patch(Input):
    """A partial update: only the fields sent change; null only clears what may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class WarningOut(BaseModel):
    code: str
    field: str
    message: str
