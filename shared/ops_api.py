"""The operations API every service serves under /ops, for the `ops` role (or `admin`): its
readiness, its queues' depths, its parked messages with their errors, and replaying them.

Routes are thin: the broker work is `shared.messaging.depths` and `shared.messaging.parked`,
the same functions the command line uses. Every replay is audited through the outbox
(`<service>.staff_action.recorded`) and is safe to repeat: a replayed message that was handled
already is absorbed by the consumer's inbox.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from aio_pika.abc import AbstractConnection
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from shared.auth import Principal, require_role
from shared.errors import Busy, Invalid, NotFound
from shared.logging import get_logger
from shared.messaging.depths import queue_depths
from shared.messaging.parked import ParkedMessage, list_parked, replay_parked
from shared.runtime import Runtime
from shared.staff_actions import record_staff_action
from shared.web import RuntimeDep

log = get_logger(__name__)

OpsOrAdmin = Annotated[Principal, Depends(require_role("ops", "admin"))]
# Message ids are UUIDs in this system; a parked message from elsewhere may carry another
# printable id, so anything short and plain is accepted.
MessageId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
QueueParam = Annotated[
    str | None, Query(max_length=200, description="one of this service's consumer queues")
]

router = APIRouter(prefix="/ops", tags=["operations"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token"},
    403: {"description": "the token lacks the ops or admin role"},
    422: {"description": "a parameter is not valid"},
    503: {"description": "the broker is unreachable"},
}


class ReplayAll(BaseModel):
    queue: str | None = Field(default=None, max_length=200)


def _queues(runtime: Runtime, queue: str | None) -> list[str]:
    if queue is None:
        return list(runtime.queues)
    if queue not in runtime.queues:
        raise Invalid("queue", f"not a queue of this service; one of: {', '.join(runtime.queues)}")
    return [queue]


def _connection(runtime: Runtime) -> AbstractConnection:
    connection = runtime.broker.connection
    if connection is None or not runtime.broker.is_ready:
        raise Busy("the broker is unreachable; try again", code="broker_unreachable")
    return connection


async def _audit(
    runtime: Runtime, principal: Principal, replayed: list[ParkedMessage], scope: str
) -> None:
    async with runtime.db.unit_of_work() as uow:
        for message in replayed:
            record_staff_action(
                uow,
                principal,
                action="parked_message.replayed",
                target_type="message",
                target_id=message.message_id or "unknown",
                summary=f"{message.type or 'unparseable'} back to {message.queue} ({scope})",
            )
        await uow.commit()
    log.info("ops.parked_replayed", count=len(replayed), scope=scope, actor=principal.subject)


@router.get("/readiness", responses=_ERRORS)
async def readiness(principal: OpsOrAdmin, runtime: RuntimeDep) -> dict[str, Any]:
    """This process's readiness checks (database, broker), as /readyz sees them."""
    checks = await runtime.readiness()
    ready = all(value == "ok" for value in checks.values())
    return {"service": runtime.settings.service_name, "ready": ready, "checks": checks}


@router.get("/queues", responses=_ERRORS)
async def queues(principal: OpsOrAdmin, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Each of this service's queues: messages ready, consumers attached, messages parked."""
    depths = await queue_depths(_connection(runtime), runtime.queues)
    return [asdict(depth) for depth in depths]


@router.get("/parked", responses=_ERRORS)
async def parked(
    principal: OpsOrAdmin,
    runtime: RuntimeDep,
    queue: QueueParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Parked messages, oldest first: type, error, attempts and age; nothing is taken."""
    found = await list_parked(_connection(runtime), _queues(runtime, queue), limit=limit)
    return [asdict(message) for message in found]


@router.post(
    "/parked/{message_id}/replay", responses={**_ERRORS, 404: {"description": "not parked"}}
)
async def replay_one(
    principal: OpsOrAdmin, runtime: RuntimeDep, message_id: MessageId, queue: QueueParam = None
) -> dict[str, Any]:
    """Put one parked message back on its queue (its attempts start again)."""
    replayed = await replay_parked(_connection(runtime), _queues(runtime, queue), {message_id})
    if not replayed:
        raise NotFound(f"no parked message {message_id}", code="not_parked")
    await _audit(runtime, principal, replayed, "one")
    return {"replayed": [asdict(message) for message in replayed]}


@router.post("/parked/replay", responses=_ERRORS)
async def replay_all(principal: OpsOrAdmin, runtime: RuntimeDep, body: ReplayAll) -> dict[str, Any]:
    """Put every parked message (of one queue, or of all this service's) back."""
    replayed = await replay_parked(_connection(runtime), _queues(runtime, body.queue), None)
    await _audit(runtime, principal, replayed, "all")
    return {"replayed": [asdict(message) for message in replayed]}


@router.post("/resync", responses={**_ERRORS, 404: {"description": "nothing to resync here"}})
async def resync(principal: OpsOrAdmin, runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    """Republish the current state of what this service owns (after another service was
    restored from a backup); replicas apply it under their version guard, nobody is emailed."""
    work = getattr(request.app.state, "resync", None)
    if work is None:
        raise NotFound("this service owns nothing the others replicate", code="nothing_to_resync")
    count = await work(runtime.db, 500)
    async with runtime.db.unit_of_work() as uow:
        service = runtime.settings.service_name
        record_staff_action(
            uow,
            principal,
            action="replicas.resynced",
            target_type="service",
            target_id=service,
            summary=f"{count} messages republished",
        )
        await uow.commit()
    log.info("ops.resynced", messages=count, actor=principal.subject)
    return {"service": runtime.settings.service_name, "messages": count}
