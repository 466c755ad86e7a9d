"""Use case of the send queue: send a queued email (a work message written by a process that
does not send itself, or left over from before the retry pass)."""

from __future__ import annotations

from services.notifications.sending.pool import TRANSACTIONAL
from services.notifications.sending.sender import Sender
from shared.contracts import DeliveryQueued


async def send_queued(payload: DeliveryQueued, *, sender: Sender) -> None:
    """One attempt: what the server defers, the retry pass takes up; if another live sender
    holds the email, the message comes back through the retry queue until it is settled."""
    summary = await sender.send([payload.delivery_id], priority=TRANSACTIONAL)
    summary.raise_if_incomplete()
