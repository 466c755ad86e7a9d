"""Every staff command is recorded (`<service>.staff_action.recorded`) in the transaction that
makes the change, so the console's audit log misses nothing a service committed and holds
nothing it rolled back.

How it travels: the request middleware opens a per-request `StaffCommand` slot; the role check
(shared/auth.py) fills it for every non-GET request with the actor and a target read from the
route (`POST /staff/events/{event_id}/publish` is `event.published` on that event); a route may
refine it with `describe_staff_action` (the id of what it created, the programme, a summary);
and `UnitOfWork.commit` emits the record with the first commit of the request. A request that
fails validation never reaches a commit, so it records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.contracts.staff import StaffActionRecorded

if TYPE_CHECKING:
    from shared.auth import Principal
    from shared.db import UnitOfWork

# The word after an id that names a command, and the past tense the audit log shows.
_VERBS = {
    "publish": "published",
    "cancel": "cancelled",
    "complete": "completed",
    "promote": "promoted",
    "change": "changed",
    "launch": "launched",
    "pause": "paused",
    "resume": "resumed",
    "test": "test_sent",
    "roster": "roster_imported",
    "attendance": "attendance_set",
    "replay": "replayed",
}
_METHOD_VERBS = {"POST": "created", "PUT": "updated", "PATCH": "updated", "DELETE": "deleted"}
_SINGULAR = {"people": "person"}


@dataclass
class StaffCommand:
    actor: str
    actor_name: str | None
    action: str
    target_type: str
    target_id: str
    event_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None
    summary: str = ""
    recorded: bool = False


@dataclass
class _Slot:
    command: StaffCommand | None = None
    principal: Principal | None = None


_slot: ContextVar[_Slot | None] = ContextVar("staff_command_slot", default=None)


@contextmanager
def staff_command_scope() -> Iterator[None]:
    """One slot per HTTP request (shared/web.py's middleware opens it)."""
    token = _slot.set(_Slot())
    try:
        yield
    finally:
        _slot.reset(token)


def _singular(word: str) -> str:
    return _SINGULAR.get(word, word[:-1] if word.endswith("s") else word)


def command_from_route(
    method: str, route_path: str, path_params: Mapping[str, str]
) -> tuple[str, str, str]:
    """(action, target_type, target_id) read from a route template such as
    `/staff/cohorts/{cohort_id}/members/{member_id}`."""
    parts = [p for p in route_path.split("/") if p][1:]  # drop `staff` / `ops`
    pairs: list[tuple[str, str | None]] = []
    for part in parts:
        if part.startswith("{") and pairs:
            pairs[-1] = (pairs[-1][0], part[1:-1])
        else:
            pairs.append((part, None))
    if not pairs:
        return f"{method.lower()}", "service", ""
    last, param = pairs[-1]
    if param is not None:
        verb = _METHOD_VERBS.get(method, method.lower())
        return f"{_singular(last)}.{verb}", _singular(last), str(path_params.get(param, ""))
    if last in _VERBS and len(pairs) > 1 and pairs[-2][1] is not None:
        owner, owner_param = pairs[-2]
        target_id = str(path_params.get(owner_param or "", ""))
        return f"{_singular(owner)}.{_VERBS[last]}", _singular(owner), target_id
    verb = _METHOD_VERBS.get(method, method.lower())
    return f"{_singular(last)}.{verb}", _singular(last), ""


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def begin_staff_command(
    principal: Principal, method: str, route_path: str, path_params: Mapping[str, str]
) -> None:
    """Called by the role check: remembers who is asking, and for a command what it is."""
    slot = _slot.get()
    if slot is None:
        return
    slot.principal = principal
    if method in ("GET", "HEAD", "OPTIONS") or slot.command is not None:
        return
    action, target_type, target_id = command_from_route(method, route_path, path_params)
    slot.command = StaffCommand(
        actor=principal.subject[:200],
        actor_name=principal.name[:200] if principal.name else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        event_id=_uuid_or_none(path_params.get("event_id")),
        summary=f"{method} {route_path}",
    )


def current_principal() -> Principal | None:
    """Who made the request being served (None outside a staff request)."""
    slot = _slot.get()
    return slot.principal if slot else None


def describe_staff_action(
    *,
    action: str | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    event_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
    summary: str | None = None,
) -> None:
    """Refine the command being served (no personal data in `summary`); outside one, nothing."""
    slot = _slot.get()
    command = slot.command if slot else None
    if command is None or command.recorded:
        return
    if action is not None:
        command.action = action
    if target_type is not None:
        command.target_type = target_type
    if target_id is not None:
        command.target_id = str(target_id)[:100]
    if event_id is not None:
        command.event_id = event_id
    if programme_id is not None:
        command.programme_id = programme_id
    if summary is not None:
        command.summary = summary[:500]


def claim_staff_action(producer: str) -> tuple[str, StaffActionRecorded] | None:
    """The record to write with this commit, once per request (UnitOfWork.commit calls it)."""
    slot = _slot.get()
    command = slot.command if slot else None
    if command is None or command.recorded:
        return None
    command.recorded = True
    return staff_action_record(producer, command)


def detach_staff_command() -> StaffCommand | None:
    """Take the request's command away from its own commits, for work finished in another task
    (bookings' batch writer), which writes `staff_action_record` in its own transaction."""
    slot = _slot.get()
    command = slot.command if slot else None
    if command is None or command.recorded:
        return None
    command.recorded = True
    return replace(command, recorded=False)


def staff_action_record(
    producer: str, command: StaffCommand, **refine: object
) -> tuple[str, StaffActionRecorded]:
    """The message type and payload for `command`, with any field of it replaced by `refine`."""
    if refine:
        command = replace(command, **refine)  # type: ignore[arg-type]
    return f"{producer}.staff_action.recorded", StaffActionRecorded(
        action_id=uuid.uuid4(),
        actor=command.actor,
        actor_name=command.actor_name,
        action=command.action[:100],
        target_type=command.target_type[:50],
        target_id=command.target_id[:100],
        event_id=command.event_id,
        programme_id=command.programme_id,
        summary=command.summary[:500],
        occurred_at=datetime.now(UTC),
    )


def unclaim_staff_action() -> None:
    """The commit that carried the record failed: let the next commit carry it instead."""
    slot = _slot.get()
    if slot and slot.command:
        slot.command.recorded = False


def record_staff_action(
    uow: UnitOfWork,
    principal: Principal,
    *,
    action: str,
    target_type: str,
    target_id: str,
    summary: str = "",
    event_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
) -> StaffActionRecorded:
    """An explicit record, for a command that acts on several things (each replayed parked
    message is its own entry). It stands in for the request's automatic record, which would
    only say the route, so that one is dropped."""
    slot = _slot.get()
    if slot and slot.command:
        slot.command.recorded = True
    command = StaffCommand(
        actor=principal.subject[:200],
        actor_name=principal.name[:200] if principal.name else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        event_id=event_id,
        programme_id=programme_id,
        summary=summary,
    )
    type_, payload = staff_action_record(uow.producer, command)
    uow.emit(type_, payload)
    return payload
