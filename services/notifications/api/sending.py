"""Test sends from staff routes go out from this process at once when it sends at all (else
through the work queue, which another process serves)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from fastapi import Request

from services.notifications.handlers.queueing import send_after_commit


@contextlib.contextmanager
def sent_here(request: Request) -> Iterator[list[uuid.UUID]]:
    if request.app.state.workers.sending_here:
        with send_after_commit() as queued:
            yield queued
    else:
        yield []


def send_queued(request: Request, queued: list[uuid.UUID]) -> None:
    if queued:
        request.app.state.workers.sender.send_soon(queued)
