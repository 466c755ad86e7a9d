"""Races the checks cannot see turn into a 409, never a 500.

Use cases check uniqueness and references before writing, which gives the clear error in the
usual case; two requests at the same moment can both pass the check, and then the database's
constraint decides. This turns that refusal into the same kind of answer.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError

from shared.errors import Conflict

P = ParamSpec("P")
R = TypeVar("R")

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
_TAKEN = {
    "uq_events_programme_slug": ("an event in this programme already uses this slug", "slug_taken"),
    "programmes_slug_key": ("a programme already uses this slug", "slug_taken"),
    "uq_cohorts_number": (
        "the programme already has a cohort with this number",
        "cohort_number_taken",
    ),
    "uq_cohort_members_email": ("this email is already in the cohort", "member_exists"),
}


def _conflict(exc: IntegrityError) -> Conflict:
    cause = exc.orig.__cause__ if exc.orig is not None else None
    sqlstate = getattr(cause, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    constraint = getattr(cause, "constraint_name", None) or ""
    if sqlstate == UNIQUE_VIOLATION and constraint in _TAKEN:
        message, code = _TAKEN[constraint]
        return Conflict(message, code=code)
    if sqlstate == FOREIGN_KEY_VIOLATION:
        return Conflict(
            "something this refers to was changed at the same moment: try again",
            code="concurrent_change",
        )
    return Conflict("this conflicts with a change made at the same moment", code="conflict")


def conflicts_as_409(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except IntegrityError as exc:
            raise _conflict(exc) from exc

    return wrapper
