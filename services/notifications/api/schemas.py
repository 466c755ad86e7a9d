"""What the notifications HTTP API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from services.notifications.composing.rendering import TEMPLATE_NAMES
from services.notifications.domain.campaigns import Campaign
from services.notifications.domain.deliveries import Delivery, State
from shared.contracts.attendees import Email
from shared.web import Responses

# The template names, from composing/rendering.py's one list (a tuple in Literal[] spreads).
TemplateName = Literal[TEMPLATE_NAMES]  # type: ignore[valid-type]
DeliveryState = State
CampaignStatus = Literal["draft", "scheduled", "running", "paused", "completed", "cancelled"]
CampaignKind = Literal["invitation", "follow_up", "announcement"]

ERRORS: Responses = {
    400: {"description": "the body is not valid JSON"},
    404: {"description": "no such thing"},
    409: {"description": "not allowed in the current state"},
    422: {"description": "a field is missing or invalid (the field is named)"},
}


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    kind: str
    booking_id: uuid.UUID | None
    event_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    recipient: str
    subject: str
    state: str
    # Why deferred, failed or suppressed (a code, see domain/deliveries.py).
    reason: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    smtp_message_id: str | None
    message_id: str | None
    correlation_id: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        return cls.model_validate(delivery, from_attributes=True)


class TestSend(BaseModel):
    email: Email


class Queued(BaseModel):
    delivery_id: uuid.UUID


class PreviewPublic(BaseModel):
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


class Audience(BaseModel):
    cohort_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    emails: list[Email] = Field(default_factory=list, max_length=20_000)

    @model_validator(mode="after")
    def _someone(self) -> Audience:
        if not self.cohort_ids and not self.emails:
            raise ValueError("name at least one cohort or one email address")
        return self


class CampaignCreate(BaseModel):
    event_id: uuid.UUID
    audience: Audience
    template: Literal["invitation"] = "invitation"
    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(default="", max_length=10_000)
    send_at: AwareDatetime | None = None


class CampaignUpdate(BaseModel):
    """A draft's changes: only the fields given are changed (`send_at: null` clears it)."""

    event_id: uuid.UUID | None = None
    audience: Audience | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=10_000)
    send_at: AwareDatetime | None = None


class FollowUpCreate(BaseModel):
    """ "Remind those who have not booked": its audience is computed when it is launched."""

    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(default="", max_length=10_000)
    send_at: AwareDatetime | None = None


class AnnouncementCreate(BaseModel):
    """A message to the people booked on an event, narrowed by status and option."""

    event_id: uuid.UUID
    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=10_000)
    statuses: list[Literal["confirmed", "waitlisted"]] = Field(
        default=["confirmed"], min_length=1, max_length=2
    )
    option_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    send_at: AwareDatetime | None = None


class LeftOutPerson(BaseModel):
    email: str
    name: str
    reason: Literal["booked", "opted_out", "suppressed", "off_roster", "declined", "no_reason"]


class AudiencePublic(BaseModel):
    """How many people the campaign reaches, and who it leaves out and why (computed now for a
    draft; as resolved at launch otherwise)."""

    reaches: int
    left_out: dict[str, int]
    people_left_out: list[LeftOutPerson]
    resolved_at_launch: bool


class AnswerPublic(BaseModel):
    email: str
    answer: Literal["declined"] = "declined"
    answered_at: datetime


class SuppressionPublic(BaseModel):
    email: str
    # opted_out: unsubscribed from campaign emails; bounced: refused permanently (5xx)
    reason: Literal["opted_out", "bounced"]
    since: datetime
    detail: str | None = None


class SuppressionLift(BaseModel):
    email: Email


class ResendRequest(BaseModel):
    """A different address for a failed email (the old one was wrong); none: as it was."""

    email: Email | None = None


class CampaignCounts(BaseModel):
    recipients: int
    queued: int
    sent: int
    failed: int
    cancelled: int
    opted_out: int
    booked: int
    suppressed: int = 0
    declined: int = 0
    left_out: int = 0


class CampaignPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    template: str
    subject: str
    message: str
    cohort_ids: list[uuid.UUID]
    emails: list[str]
    send_at: datetime | None
    status: str
    kind: str = "invitation"
    parent_id: uuid.UUID | None = None
    filters: dict[str, Any] | None = None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: CampaignCounts | None = None

    @classmethod
    def of(cls, campaign: Campaign, counts: CampaignCounts | None = None) -> CampaignPublic:
        data = {name: getattr(campaign, name) for name in cls.model_fields if name != "counts"}
        return cls.model_validate({**data, "counts": counts})
