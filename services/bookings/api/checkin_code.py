"""The check-in QR code on the manage page: the door's link for a confirmed place, as SVG.

Reached with the manage token (the manage page's own address), so it is rate limited and
uncached like every manage route; the image holds the check-in token, never the manage one."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.bookings.api.deps import ManagedBookingId, ProcessDep
from services.bookings.usecases import reads
from services.bookings.usecases.messages import checkin_link_for
from shared import qr
from shared.errors import NotFound

router = APIRouter(prefix="/public", tags=["public"])


@router.get(
    "/bookings/{token}/checkin-code.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "the QR code of the check-in link"},
        404: {"description": "no such booking, or it has no confirmed place"},
    },
)
async def checkin_code(booking_id: ManagedBookingId, process: ProcessDep) -> Response:
    """The QR code door staff scan: only a confirmed place has one."""
    view = await reads.booking_view(process.db, booking_id)
    if view.booking.status != "confirmed":
        raise NotFound("only a confirmed place has a check-in code", code="no_checkin_code")
    _, url = checkin_link_for(process.settings, booking_id)
    return Response(
        qr.svg(url, title="Your check-in code"),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )
