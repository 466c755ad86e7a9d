"""Events: what staff send, and what staff and the public see."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from services.catalogue.api.schemas.common import (
    Input,
    Kind,
    LongText,
    Name,
    Patch,
    Places,
    ShortText,
    Slug,
    Summary,
    WarningOut,
    WebUrl,
)
from services.catalogue.api.schemas.venues import VenueOut
from services.catalogue.domain import events as domain
from services.catalogue.domain.event_state import EventContext
from shared.errors import Invalid

ResourceKind = Literal["slides", "photos", "notes", "video", "document", "link", "other"]


class SessionIn(Input):
    session_id: uuid.UUID | None = Field(default=None, description="keep an existing session")
    title: ShortText = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    def to_domain(self) -> domain.Session:
        return domain.Session(self.session_id, self.starts_at, self.ends_at, self.title)


class OptionIn(Input):
    option_id: uuid.UUID | None = Field(default=None, description="keep an existing option")
    name: Name
    description: Summary = ""
    capacity: Places

    def to_domain(self) -> domain.Option:
        return domain.Option(self.option_id, self.name, self.capacity, self.description)


class OptionGroupIn(Input):
    """A set of options of which a booking holds at most one (the dinner's activities, the
    workshop's slots); `required` false lets a booker choose none, which takes no place."""

    group_id: uuid.UUID | None = Field(default=None, description="keep an existing group")
    name: Name
    required: bool = True
    options: list[OptionIn] = Field(min_length=1, max_length=50)

    def to_domain(self) -> tuple[domain.Option, ...]:
        return tuple(
            replace(
                o.to_domain(),
                group_id=self.group_id,
                group_name=self.name,
                group_required=self.required,
            )
            for o in self.options
        )


class AudienceIn(Input):
    kind: Literal["public", "cohorts", "invitation"] = "public"
    cohort_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    def to_domain(self) -> domain.Audience:
        return domain.Audience(self.kind, tuple(self.cohort_ids))


class AppearanceIn(Input):
    person_id: uuid.UUID
    role: ShortText = ""
    day: date | None = None

    def to_domain(self) -> domain.Appearance:
        return domain.Appearance(self.person_id, self.role, self.day)


class ResourceIn(Input):
    resource_id: uuid.UUID | None = None
    title: Name
    url: WebUrl
    kind: ResourceKind = "other"

    def to_domain(self) -> domain.Resource:
        return domain.Resource(self.resource_id, self.title, self.url, self.kind)


class _EventFields(Input):
    """Every field staff may set, for create and update alike."""

    title: Name | None = None
    programme_id: uuid.UUID | None = None
    slug: Slug | None = None
    kind: Kind | None = None
    summary: Summary | None = None
    description: LongText | None = None
    timezone: str | None = Field(default=None, max_length=64)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    sessions: list[SessionIn] | None = Field(default=None, max_length=50)
    venue_id: uuid.UUID | None = None
    capacity: Places | None = None
    options: list[OptionIn] | None = Field(
        default=None, max_length=50, description="one required group of options (as before groups)"
    )
    option_groups: list[OptionGroupIn] | None = Field(
        default=None,
        max_length=10,
        description="several groups of options, each required or optional; replaces `options`",
    )
    options_within_capacity: bool | None = None
    audience: AudienceIn | None = None
    booking_opens_at: AwareDatetime | None = None
    booking_closes_at: AwareDatetime | None = None
    waitlist_enabled: bool | None = None
    people: list[AppearanceIn] | None = Field(default=None, max_length=100)
    resources: list[ResourceIn] | None = Field(default=None, max_length=100)
    expectations: list[str] | None = Field(default=None, max_length=50)

    def domain_values(self) -> dict[str, Any]:
        """The fields sent, as the domain's values (parts as tuples of domain parts)."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(v.to_domain() if hasattr(v, "to_domain") else v for v in value)
            elif isinstance(value, AudienceIn):
                value = value.to_domain()
            values[name] = value
        if "option_groups" in values:
            if "options" in values:
                raise Invalid("option_groups", "send options or option_groups, not both")
            groups = values.pop("option_groups") or ()
            _unique_group_names(groups)
            values["options"] = tuple(o for group in groups for o in group)
        return values


def _unique_group_names(groups: tuple[tuple[domain.Option, ...], ...]) -> None:
    seen: set[str] = set()
    for i, group in enumerate(groups):
        name = group[0].group_name.casefold()
        if name in seen:
            raise Invalid(f"option_groups.{i}.name", "another option group has this name")
        seen.add(name)


class EventCreate(_EventFields):
    """Only title, times (or sessions) and capacity are needed; the rest has defaults."""

    title: Name
    capacity: Places


class EventUpdate(_EventFields, Patch):
    nullable = frozenset({"programme_id", "venue_id", "booking_opens_at", "booking_closes_at"})


class CancelRequest(Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class ProgrammeRef(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class SessionOut(BaseModel):
    session_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


class OptionOut(BaseModel):
    option_id: uuid.UUID
    name: str
    description: str
    capacity: int
    group_id: uuid.UUID = Field(description="the option's group (the event's id: the unnamed one)")


class OptionGroupOut(BaseModel):
    group_id: uuid.UUID
    name: str
    required: bool
    options: list[OptionOut]


class AudienceOut(BaseModel):
    kind: str
    cohort_ids: list[uuid.UUID]


class PersonOnEventOut(BaseModel):
    person_id: uuid.UUID
    name: str
    title: str
    organisation: str
    role: str
    day: date | None


class ResourceOut(BaseModel):
    resource_id: uuid.UUID
    title: str
    url: str
    kind: str


class ExpectationRef(BaseModel):
    code: str
    name: str


class EventOut(BaseModel):
    id: uuid.UUID
    slug: str
    programme: ProgrammeRef | None
    kind: str
    title: str
    summary: str
    description: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    sessions: list[SessionOut]
    venue: VenueOut | None
    capacity: int
    options: list[OptionOut]
    option_groups: list[OptionGroupOut]
    audience: AudienceOut
    booking_opens_at: datetime | None
    booking_closes_at: datetime | None
    waitlist_enabled: bool
    people: list[PersonOnEventOut]
    resources: list[ResourceOut]
    expectations: list[ExpectationRef]
    status: str
    version: int
    cancel_reason: str

    @classmethod
    def of(cls, event: domain.Event, context: EventContext, **extra: Any) -> Any:
        programme = context.programme
        groups = _option_groups(event)
        names = {e.code: e.name for e in programme.expectations} if programme else {}
        return cls(
            **{name: getattr(event, name) for name in _SCALARS},
            programme=ProgrammeRef(id=programme.id, slug=programme.slug, name=programme.name)
            if programme
            else None,
            sessions=[
                SessionOut(session_id=domain.stored_id(s.id), **_fields(s)) for s in event.sessions
            ],
            venue=VenueOut.of(context.venue) if context.venue else None,
            options=[o for g in groups for o in g.options],
            option_groups=groups,
            audience=AudienceOut(
                kind=event.audience.kind, cohort_ids=list(event.audience.cohort_ids)
            ),
            people=[
                PersonOnEventOut(
                    **_fields(context.people[a.person_id]),
                    person_id=a.person_id,
                    role=a.role,
                    day=a.day,
                )
                for a in event.people
                if a.person_id in context.people
            ],
            resources=[
                ResourceOut(resource_id=domain.stored_id(r.id), **_fields(r))
                for r in event.resources
            ],
            expectations=[ExpectationRef(code=c, name=names.get(c, c)) for c in event.expectations],
            **extra,
        )


def _option_groups(event: domain.Event) -> list[OptionGroupOut]:
    groups: dict[uuid.UUID, OptionGroupOut] = {}
    for o in event.options:
        group_id = o.group_id or event.id
        group = groups.setdefault(
            group_id,
            OptionGroupOut(
                group_id=group_id, name=o.group_name, required=o.group_required, options=[]
            ),
        )
        group.options.append(
            OptionOut(
                option_id=domain.stored_id(o.id),
                name=o.name,
                description=o.description,
                capacity=o.capacity,
                group_id=group_id,
            )
        )
    return list(groups.values())


class BookingCounts(BaseModel):
    """From bookings' messages: a moment behind bookings itself, which decides."""

    confirmed: int
    waitlisted: int
    cancelled: int


class EventStaffOut(EventOut):
    options_within_capacity: bool
    warnings: list[WarningOut] = Field(
        default_factory=list, description="what staff should know about the change just made"
    )
    booking_counts: BookingCounts | None = None

    @classmethod
    def of(
        cls,
        event: domain.Event,
        context: EventContext,
        warnings: list[domain.ChangeWarning] | None = None,
        **extra: Any,
    ) -> EventStaffOut:
        return super().of(
            event,
            context,
            options_within_capacity=event.options_within_capacity,
            warnings=[WarningOut(**vars(w)) for w in warnings or []],
            **extra,
        )


_SCALARS = (
    "id",
    "slug",
    "kind",
    "title",
    "summary",
    "description",
    "timezone",
    "starts_at",
    "ends_at",
    "capacity",
    "booking_opens_at",
    "booking_closes_at",
    "waitlist_enabled",
    "status",
    "version",
    "cancel_reason",
)


def _fields(part: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(part).items() if k not in ("id", "person_id")}
