"""Payloads notifications publishes about emails and campaigns."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EmailOutcome(BaseModel):
    """`notifications.email.sent` and `notifications.email.failed`. The address is masked."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_id: uuid.UUID
    kind: str
    recipient_masked: str
    booking_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    attempts: int = Field(ge=0, default=1)
    smtp_message_id: str | None = None
    error: str | None = None


class CampaignProgress(BaseModel):
    """`notifications.campaign.progressed` and `notifications.campaign.completed`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    campaign_id: uuid.UUID
    event_id: uuid.UUID
    status: Literal["draft", "scheduled", "running", "paused", "cancelled", "completed"]
    recipients: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    booked: int = 0


class DeliveryQueued(BaseModel):
    """`notifications.delivery.queued`: notifications' own work item, one per email to send,
    so several processes share the sending and failures retry through the retry queues."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_id: uuid.UUID


class CampaignChunkQueued(BaseModel):
    """`notifications.campaign_chunk.queued`: notifications' own work item for a campaign, one
    per chunk of invitees (by their position in the resolved audience), so several processes
    share a campaign's fan-out and a crashed chunk is simply delivered again."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    campaign_id: uuid.UUID
    chunk: int = Field(ge=0)
