"""The public event answer by slug, so partners can embed an event by its readable name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.bookings.api import public
from services.bookings.api.cors import lookups
from services.bookings.api.schemas import EventAvailability

router = APIRouter(prefix="/public", tags=["public"])
Slug = Annotated[str, Path(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]


@router.get(
    "/events/by-slug/{slug}",
    response_model=EventAvailability,
    responses={404: {"description": "no event has this slug"}, 422: {"description": "not a slug"}},
)
async def get_event_by_slug(slug: Slug, request: Request) -> Response:
    """The same answer as `/public/events/{event_id}`, for the event the catalogue gave this
    slug."""
    event_id = await lookups(request.scope).event_id(slug)
    return await public.get_event(event_id, request)
