"""The payload every service publishes when a member of staff changes something it owns, so the
console can keep one audit log across the three services (who did what, when, to which thing).
It names the thing and the action, never the personal data that was typed."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StaffActionRecorded(BaseModel):
    """`catalogue.staff_action.recorded`, `bookings.staff_action.recorded`,
    `notifications.staff_action.recorded`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    action_id: uuid.UUID
    # The token's `sub` and display name: a console account, an OIDC subject or a script.
    actor: str = Field(max_length=200)
    actor_name: str | None = Field(default=None, max_length=200)
    # A dotted verb such as `event.published`, `booking.cancelled`, `campaign.launched`.
    action: str = Field(max_length=100)
    # What it was done to: `event`, `cohort`, `booking`, `campaign`, `partner`, ...
    target_type: str = Field(max_length=50)
    target_id: str = Field(max_length=100)
    # Where it belongs, for filtering: the event and programme when the service knows them.
    event_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None
    # A short description without personal data, e.g. "capacity 40 -> 60".
    summary: str = Field(default="", max_length=500)
    occurred_at: datetime
