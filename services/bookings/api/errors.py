"""The database being out of reach (refused, too many clients, connection lost) is not a bug:
it answers 503 with Retry-After, like a busy event, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from shared.logging import get_logger
from shared.messaging.transient import is_transient

log = get_logger(__name__)


def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    if not is_transient(exc):
        log.error("request.unhandled_error", exc_info=exc)
        return JSONResponse({"detail": "internal error", "code": "internal"}, status_code=500)
    log.warning("request.database_unavailable", error=str(exc)[:300])
    return JSONResponse(
        {"detail": "the database cannot be reached right now; try again", "code": "unavailable"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def answer_503_when_the_database_is_away(app: FastAPI) -> None:
    for cls in (DBAPIError, ConnectionError, TimeoutError):
        app.add_exception_handler(cls, _unavailable)
