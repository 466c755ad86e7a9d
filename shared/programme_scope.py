"""Programme scopes: a staff token may limit its person to some programmes (`programmes` claim).
Each service's staff routes then refuse what lies outside them: a thing addressed by id answers
404, as if it did not exist (its existence must not leak); creating something in another
programme, or changing what every programme shares (venues, people, partners), answers 403
with the reason; lists hold only the allowed programmes.

The principal comes from the request being served (shared/staff_actions.py), so the checks
need no extra route parameters; each service supplies how to find the programme of its ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from fastapi import Depends, Request

from shared.errors import Forbidden, NotFound
from shared.staff_actions import current_principal, describe_staff_action

T = TypeVar("T")
# (whether the thing exists, its programme id or None when it belongs to none)
Lookup = Callable[[Request, uuid.UUID], Awaitable[tuple[bool, uuid.UUID | None]]]


class OutsideProgrammes(Forbidden):
    code = "outside_programmes"


def _restricted() -> frozenset[str] | None:
    principal = current_principal()
    return principal.programmes if principal is not None else None


def allowed(programme_id: uuid.UUID | None) -> bool:
    principal = current_principal()
    return principal is None or principal.may_see_programme(programme_id)


def check_programme(programme_id: uuid.UUID | None, *, hide: bool = True) -> None:
    """Refuse unless the requester may act in `programme_id`: 404 when `hide` (something
    addressed by id), else 403. Notes the programme on the staff action being recorded."""
    if not allowed(programme_id):
        if hide:
            raise NotFound("not found")
        raise OutsideProgrammes("this token is limited to other programmes", field="programme_id")
    if programme_id is not None:
        describe_staff_action(programme_id=programme_id)


def require_unrestricted(what: str) -> None:
    """For what every programme shares: only a person limited to no programme may change it."""
    if _restricted() is not None:
        raise OutsideProgrammes(
            f"{what} are shared by every programme: a token limited to some programmes "
            "cannot change them"
        )


def visible(items: Iterable[T], programme_of: Callable[[T], Any]) -> list[T]:
    """The items of the programmes the requester may see (all of them when unrestricted)."""
    scope = _restricted()
    if scope is None:
        return list(items)
    return [item for item in items if _text(programme_of(item)) in scope]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def programme_guard(lookups: Mapping[str, Lookup]) -> Any:
    """A router dependency (after the role check): for the first path parameter in `lookups`
    that the route has, find the thing's programme and refuse a restricted requester with 404
    when it lies outside theirs. For commands it also notes the programme on the audit record.
    A thing that does not exist is left to the route, which answers its own 404."""

    async def guard(request: Request) -> None:
        restricted = _restricted() is not None
        if not restricted and request.method in ("GET", "HEAD"):
            return
        for param, lookup in lookups.items():
            raw = request.path_params.get(param)
            if raw is None:
                continue
            try:
                thing_id = uuid.UUID(str(raw))
            except ValueError:
                return  # the route's own validation answers 422
            exists, programme_id = await lookup(request, thing_id)
            if exists:
                check_programme(programme_id)
            return

    return Depends(guard)


def unrestricted_commands(what: str) -> Any:
    """A router dependency (after the role check) for what every programme shares: reads are
    open to every member of staff, changes only to those limited to no programme."""

    async def guard(request: Request) -> None:
        if request.method not in ("GET", "HEAD"):
            require_unrestricted(what)

    return Depends(guard)
