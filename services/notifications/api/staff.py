"""Staff routes (JWT with the `staff` role)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from services.notifications.persistence import deliveries
from shared.auth import require_role
from shared.web import DbDep

router = APIRouter(prefix="/staff", tags=["staff"], dependencies=[Depends(require_role("staff"))])


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    kind: str
    booking_id: uuid.UUID | None
    event_id: uuid.UUID | None
    recipient: str
    subject: str
    state: str
    attempts: int
    last_error: str | None
    smtp_message_id: str | None
    correlation_id: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get("/deliveries", response_model=list[DeliveryPublic])
async def list_deliveries(booking_id: uuid.UUID, db: DbDep) -> list[DeliveryPublic]:
    """The emails recorded for one booking, oldest first."""
    async with db.unit_of_work() as uow:
        rows = await deliveries.for_booking(uow, booking_id)
    return [DeliveryPublic.model_validate(row, from_attributes=True) for row in rows]
