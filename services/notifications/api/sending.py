"""How a staff route's emails (test sends) go out: from this process at once when it sends
at all, else through the work queue, which another process serves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.handlers.queueing import Send, send_from
from services.notifications.workers import Workers


def _send(request: Request) -> Send:
    workers: Workers = request.app.state.workers
    return send_from(workers.sender if workers.sending_here else None)


# Call `send.committed()` once the route's transaction has committed.
SendDep = Annotated[Send, Depends(_send)]
