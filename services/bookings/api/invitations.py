"""The invitation check the widget makes before drawing the form: is this link good for this
event, and who is it for (with what the roster knows), so the form is filled in for them and
each problem gets its own message. The token travels in the body, never the address."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.bookings.api.deps import ProcessDep
from services.bookings.usecases import invitations

router = APIRouter(prefix="/public", tags=["public"])


class InvitationCheck(BaseModel):
    invitation: str = Field(min_length=1, max_length=2000)


class InviteePublic(BaseModel):
    email: str
    name: str
    organisation: str
    role: str


@router.post(
    "/events/{event_id}/invitation",
    response_model=InviteePublic,
    responses={
        404: {"description": "unknown event"},
        422: {
            "description": "the invitation is not usable; `code` says why: invitation_expired, "
            "invitation_other_event, invitation_campaign_cancelled or invitation_invalid"
        },
    },
)
async def check_invitation(
    event_id: uuid.UUID, body: InvitationCheck, process: ProcessDep
) -> InviteePublic:
    """Who an invitation link is for, with the name and organisation their roster lists."""
    found = await invitations.invitee(process.db, process.settings, event_id, body.invitation)
    return InviteePublic(
        email=found.email, name=found.name, organisation=found.organisation, role=found.role
    )
