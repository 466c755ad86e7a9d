"""The booking's calendar file, for "add to calendar" after booking and on the manage page:
the same entries (UIDs, SEQUENCE) as the invite the confirmation email carries, so a calendar
that already holds them updates them instead of adding a second copy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import parseaddr

from fastapi import APIRouter, Response

from services.bookings.api.deps import ManagedBookingId, ProcessDep
from services.bookings.settings import BookingsSettings
from services.bookings.usecases import reads
from services.bookings.usecases.messages import link_for
from shared.calendar_invites import Invitee, Organiser, calendar_invite, calendar_sequence
from shared.contracts import EventState
from shared.errors import Conflict

router = APIRouter(prefix="/public", tags=["public"])


def calendar_url(settings: BookingsSettings, booking_id: uuid.UUID) -> str:
    token, _ = link_for(settings, booking_id)
    return f"{settings.public_base_url.rstrip('/')}/public/bookings/{token}/calendar.ics"


@router.get(
    "/bookings/{token}/calendar.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "the iCalendar file"},
        404: {"description": "no booking has this token"},
        409: {"description": "the booking is not confirmed (nothing to put in a calendar)"},
    },
)
async def booking_calendar(booking_id: ManagedBookingId, process: ProcessDep) -> Response:
    """The booking's sessions as an `.ics` file, in the event's time zone."""
    view = await reads.booking_view(process.db, booking_id)
    if view.booking.status != "confirmed" or view.facts.status != "published":
        raise Conflict("only a confirmed place goes in a calendar", code="not_confirmed")
    settings = process.settings
    organiser_name, organiser_email = parseaddr(settings.calendar_organiser)
    _, manage = link_for(settings, booking_id)
    event = EventState.model_validate(view.state)
    ics = calendar_invite(
        method="PUBLISH",
        booking_id=booking_id,
        event=event,
        invitee=Invitee(view.booking.name, view.booking.email, manage),
        organiser=Organiser(organiser_name, organiser_email),
        sequence=calendar_sequence(view.booking.version, view.facts.version),
        domain=organiser_email.rpartition("@")[2] or "localhost",
        stamp=datetime.now(UTC),
    )
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="booking.ics"',
            # The address carries the manage token: keep the answer out of every cache.
            "Cache-Control": "no-store",
        },
    )
