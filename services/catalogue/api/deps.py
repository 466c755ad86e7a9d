"""What every catalogue route shares."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from shared.auth import require_role

# Shown on the OpenAPI page for every staff route, and true of each (tests walk the routes).
AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "no bearer token, or one that is not valid or has expired"},
    403: {"description": "the token lacks the staff role"},
}


def staff_router(prefix: str, tag: str) -> APIRouter:
    """A router whose every route needs a token with the `staff` role."""
    return APIRouter(
        prefix=f"/staff{prefix}",
        tags=[f"staff: {tag}"],
        dependencies=[Depends(require_role("staff"))],
        responses=AUTH_RESPONSES,
    )
