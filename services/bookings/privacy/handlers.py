"""Bookings answers privacy requests: export its bookings of an address; erase them.

Erasure first cancels the person's bookings to come through the normal cancellation (each in
its own transaction under the event's lock, so the freed place goes to the first waiting, who
is promoted and told), each made anonymous just before, so no message about it names them.
Then one transaction anonymises every remaining row and answers. A redelivery finds the
half-done work by the hashed key and finishes it."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from services.bookings.privacy import records
from services.bookings.settings import BookingsSettings
from services.bookings.usecases import manage
from shared.contracts.envelope import Envelope
from shared.contracts.privacy import PrivacyRequested
from shared.contracts.registry import parse_payload
from shared.db import Database, UnitOfWork
from shared.errors import Conflict
from shared.messaging.consumer import Handler
from shared.messaging.handlers import transactional_table
from shared.messaging.queues import BOOKINGS_PRIVACY
from shared.privacy.answering import Records, privacy_table
from shared.privacy.outbox import scrub_published

ERASURE_REASON = "erasure request"


async def export(uow: UnitOfWork, request: PrivacyRequested) -> Records:
    return await records.export(uow, request.email)


async def erase(uow: UnitOfWork, request: PrivacyRequested) -> dict[str, int]:
    counts = await records.erase(uow, request.email, request.address_hash)
    counts["outbox_messages"] = await scrub_published(uow, request.email)
    return counts


async def cancel_future_bookings(
    db: Database, settings: BookingsSettings, request: PrivacyRequested
) -> int:
    async with db.unit_of_work() as uow:
        upcoming = await records.future_active(
            uow, request.email, request.address_hash, datetime.now(UTC)
        )
    for booking_id, _event_id in upcoming:
        async with db.unit_of_work() as uow:
            await records.anonymise_booking(uow, booking_id, request.address_hash)
            await uow.commit()
        # Already cancelled (by them meanwhile, or by a redelivery of this request): fine.
        with contextlib.suppress(Conflict):
            await manage.cancel(db, settings, booking_id, by="staff", reason=ERASURE_REASON)
    return len(upcoming)


def privacy_handlers(db: Database, settings: BookingsSettings) -> dict[str, Handler]:
    table = transactional_table(
        db, BOOKINGS_PRIVACY.queue, privacy_table("bookings", export=export, erase=erase)
    )
    answer_erasure = table["console.privacy.erasure_requested"]

    async def erasure(envelope: Envelope) -> None:
        request = parse_payload(envelope)
        assert isinstance(request, PrivacyRequested)
        await cancel_future_bookings(db, settings, request)
        await answer_erasure(envelope)

    return {**table, "console.privacy.erasure_requested": erasure}
