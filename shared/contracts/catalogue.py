"""Payloads the catalogue publishes. They carry the whole bookable state of an event or a
roster entry, so bookings and notifications can work with the catalogue switched off."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class EventSession(_Payload):
    session_id: uuid.UUID
    title: str = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class EventOption(_Payload):
    option_id: uuid.UUID
    name: str
    description: str = ""
    capacity: int = Field(ge=0)
    # Added after v1 (optional): the group the option belongs to. A payload without groups
    # has one required group, whose id is the event's (`EventState` fills it in).
    group_id: uuid.UUID | None = None


class OptionGroup(_Payload):
    """Added after v1: a set of options (the dinner's activities, the workshop slots) of
    which a booking holds at most one; a required group needs one, an optional one may be
    left at "none", which takes no place."""

    group_id: uuid.UUID
    name: str = ""
    required: bool = True


class VenueState(_Payload):
    venue_id: uuid.UUID | None = None
    name: str
    address: str = ""
    accessibility: str = ""
    map_url: str | None = None


class AudienceState(_Payload):
    kind: Literal["public", "cohorts", "invitation"] = "public"
    cohort_ids: list[uuid.UUID] = Field(default_factory=list)


class PersonOnEvent(_Payload):
    name: str
    title: str = ""
    organisation: str = ""
    role: str = ""
    # Added after v1 (optional): which catalogue person, and the day they appear (local date).
    person_id: uuid.UUID | None = None
    day: date | None = None


class EventResource(_Payload):
    """Added after v1: material shared after an event (slides, photos, notes, ...)."""

    resource_id: uuid.UUID
    title: str
    url: str
    kind: str = "other"


class EventState(_Payload):
    """`catalogue.event.published` and `catalogue.event.updated`: the full bookable state.

    `version` grows by one with every change to the event; consumers apply a state only if
    its version is newer than the one they hold.
    """

    event_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["published", "cancelled", "completed"] = "published"
    programme_id: uuid.UUID | None = None
    programme_name: str = ""
    slug: str = ""
    kind: str = "event"
    title: str
    summary: str = ""
    timezone: str = "Europe/London"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    sessions: list[EventSession] = Field(default_factory=list)
    venue: VenueState | None = None
    capacity: int = Field(ge=0)
    options: list[EventOption] = Field(default_factory=list)
    audience: AudienceState = Field(default_factory=AudienceState)
    booking_opens_at: AwareDatetime | None = None
    booking_closes_at: AwareDatetime | None = None
    waitlist_enabled: bool = True
    people: list[PersonOnEvent] = Field(default_factory=list)
    # Added after v1 (optional, so v1 payloads still parse): the long description, the names of
    # the programme's leadership expectations the event develops, and resources afterwards.
    description: str = ""
    expectations: list[str] = Field(default_factory=list)
    resources: list[EventResource] = Field(default_factory=list)
    # Added after v1 (optional): the programme's readable name in addresses, so bookings can
    # serve the programme's public page at /programmes/{slug}.
    programme_slug: str = ""
    # Added for privacy (issues 15 and 17): the programme's privacy notice, shown beside the
    # optional booking fields, and its version, recorded with each booking.
    privacy_notice_url: str = ""
    privacy_notice_version: str = ""
    # Added after v1 (optional): the option groups, in order; every option names one.
    option_groups: list[OptionGroup] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _one_group_for_ungrouped_options(cls, data: object) -> object:
        """Options published before groups existed form one required group whose id is the
        event's, the same one both services' migrations gave them."""
        if not isinstance(data, dict) or not data.get("options"):
            return data
        options = [dict(o) if isinstance(o, dict) else o.model_dump() for o in data["options"]]
        if all(o.get("group_id") for o in options):
            return data
        legacy = str(data.get("event_id"))
        groups = list(data.get("option_groups") or [])
        ids = {str(g["group_id"] if isinstance(g, dict) else g.group_id) for g in groups}
        if legacy not in ids:
            groups.insert(0, {"group_id": legacy, "name": "", "required": True})
        for o in options:
            o["group_id"] = o.get("group_id") or legacy
        return {**data, "options": options, "option_groups": groups}

    def options_of(self, group_id: uuid.UUID) -> list[EventOption]:
        return [o for o in self.options if o.group_id == group_id]


class EventCancelled(EventState):
    """`catalogue.event.cancelled`: the final state plus the reason staff gave."""

    status: Literal["cancelled"] = "cancelled"
    reason: str = ""


class CohortMemberAdded(_Payload):
    """`catalogue.cohort.member_added`, also sent when a member's details change.

    `version` is the cohort's roster version, which grows with every roster change, so it
    orders all changes to one member too.
    """

    cohort_id: uuid.UUID
    cohort_number: int | None = None
    cohort_name: str = ""
    member_id: uuid.UUID
    email: str
    name: str
    organisation: str = ""
    role: str = ""
    version: int = Field(ge=1)


class CohortMemberRemoved(_Payload):
    """`catalogue.cohort.member_removed`."""

    cohort_id: uuid.UUID
    member_id: uuid.UUID
    email: str
    version: int = Field(ge=1)
