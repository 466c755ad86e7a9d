"""What every catalogue route shares."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.catalogue.persistence.scopes import LOOKUPS
from shared.auth import require_role
from shared.programme_scope import programme_guard, unrestricted_commands
from shared.web import Responses

# Shown on the OpenAPI page for every staff route, and true of each (tests walk the routes).
AUTH_RESPONSES: Responses = {
    401: {"description": "no bearer token, or one that is not valid or has expired"},
    403: {"description": "the token lacks the staff role, or is limited to other programmes"},
    404: {"description": "not found, or outside the programmes the token is limited to"},
}


def staff_router(prefix: str, tag: str, *, shared: bool = False) -> APIRouter:
    """A router whose every route needs a token with the `staff` role, and refuses what lies
    outside the programmes a limited token names (shared/programme_scope.py)."""
    return APIRouter(
        prefix=f"/staff{prefix}",
        tags=[f"staff: {tag}"],
        dependencies=[
            Depends(require_role("staff")),
            unrestricted_commands(tag) if shared else programme_guard(LOOKUPS),
        ],
        responses=AUTH_RESPONSES,
    )
