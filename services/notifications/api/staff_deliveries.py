"""Staff routes over deliveries: what was sent to whom, what failed and why; resend one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.notifications.api.schemas import (
    ERRORS,
    DeliveryPublic,
    DeliveryState,
    ResendRequest,
)
from services.notifications.api.sending import SendDep
from services.notifications.handlers import resends
from services.notifications.persistence import deliveries, scopes
from shared.addresses import EmailAddress
from shared.auth import require_role
from shared.errors import NotFound
from shared.programme_scope import programme_guard, visible
from shared.web import DbDep

router = APIRouter(
    prefix="/staff",
    tags=["staff"],
    dependencies=[Depends(require_role("staff")), programme_guard(scopes.LOOKUPS)],
)


@router.get("/deliveries", response_model=list[DeliveryPublic], responses=ERRORS)
async def list_deliveries(
    db: DbDep,
    booking_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    state: DeliveryState | None = None,
    email: EmailAddress | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryPublic]:
    """Emails recorded, oldest first: for one booking, one campaign, one person (`email`,
    case-insensitive), or in one state (for instance `failed` or `deferred`, with the
    reason)."""
    async with db.unit_of_work() as uow:
        rows = await deliveries.search(
            uow,
            booking_id=booking_id,
            campaign_id=campaign_id,
            state=state,
            email=str(email) if email else None,
            limit=limit,
        )
        programmes = await scopes.programmes_of_events(uow, (r.event_id for r in rows))
    rows = visible(rows, lambda r: programmes.get(r.event_id) if r.event_id else None)
    return [DeliveryPublic.of(row) for row in rows]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryPublic, responses=ERRORS)
async def get_delivery(delivery_id: uuid.UUID, db: DbDep) -> DeliveryPublic:
    """One email's state, attempts, last error and the server's answer."""
    async with db.unit_of_work() as uow:
        row = await deliveries.get(uow, delivery_id)
    if row is None:
        raise NotFound("no such delivery", code="delivery_not_found")
    return DeliveryPublic.of(row)


@router.get(
    "/deliveries/{delivery_id}/message",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"message/rfc822": {}}}},
)
async def get_message(delivery_id: uuid.UUID, db: DbDep) -> Response:
    """The stored MIME message of a transactional email, as sent (campaign emails are
    composed at send time and not stored)."""
    async with db.unit_of_work() as uow:
        raw = await deliveries.message_of(uow, delivery_id)
    if raw is None:
        raise NotFound("no stored message for this delivery", code="message_not_found")
    return Response(raw, media_type="message/rfc822")


@router.post(
    "/deliveries/{delivery_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryPublic,
    responses=ERRORS,
)
async def resend_delivery(
    delivery_id: uuid.UUID,
    db: DbDep,
    request: Request,
    send: SendDep,
    body: ResendRequest | None = None,
) -> DeliveryPublic:
    """Send an email again. A failed one, once its cause is fixed (the address, given in
    `email`, or the server's setup): it becomes `deferred`, due now, with a fresh deadline.
    A sent email about a booking (a confirmation): a copy is queued, to `email` if given,
    and answered as its own delivery. 409 for anything else."""
    to = str(body.email) if body is not None and body.email is not None else None
    resent = await resends.resend(db, delivery_id, to, request.app.state.settings, send=send)
    send.committed()
    # As the resend left it (the retry pass may already be sending it).
    return DeliveryPublic.of(resent)
