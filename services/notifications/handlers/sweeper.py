"""The sweeper pass of the scheduler: transactional emails that were written but never sent
(their process died between the commit and the send) go to the work queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifications.persistence import deliveries
from shared.contracts import DeliveryQueued
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)


async def sweep(db: Database, *, older_than: timedelta) -> int:
    async with db.unit_of_work() as uow:
        ids = await deliveries.stranded(uow, before=datetime.now(UTC) - older_than)
        for delivery_id in ids:
            uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=delivery_id))
        await uow.commit()
    if ids:
        log.warning("email.stranded_requeued", count=len(ids))
    return len(ids)
