"""One family of domain errors with stable codes, mapped to HTTP answers in one place.

Domain code raises these; it never builds HTTP responses. Every answer has the same shape:
`{"detail": <human text or field list>, "code": <stable code>, ...extra}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import describe_error, get_logger
from shared.messaging.transient import is_transient

log = get_logger(__name__)


class DomainError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    """A value the schema accepted but a rule refuses; names the field like a 422 from FastAPI."""

    status_code = 422
    code = "invalid"

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.field = field


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Busy(DomainError):
    """Capacity could not be decided in time (lock timeout): retry, never a wrong answer."""

    status_code = 503
    code = "busy"


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, Invalid):
        body: dict[str, Any] = {
            "detail": [
                {"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": exc.code}
            ],
            "code": exc.code,
        }
    else:
        body = {"detail": exc.message, "code": exc.code}
    body.update(jsonable_encoder(exc.extra))
    headers = {"Retry-After": "1"} if isinstance(exc, Busy) else None
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": errors, "code": "validation_error"}, status_code=422)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"detail": exc.detail, "code": f"http_{exc.status_code}"},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    if is_transient(exc):
        # The database (or broker) is away: nothing was written, and trying again shortly is
        # the right thing for the caller to do.
        log.warning("request.dependency_unavailable", error=describe_error(exc)[:300])
        return JSONResponse(
            {"detail": "temporarily unavailable, please try again shortly", "code": "unavailable"},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    log.error("request.unhandled_error", exc_info=exc)
    return JSONResponse({"detail": "internal error", "code": "internal"}, status_code=500)


# Registered by class as well as under Exception: handlers for classes run inside the app, so
# the request's log line and metrics record the 503 the caller got (the catch-all runs outside
# every middleware, after they have recorded a 500).
_INFRASTRUCTURE_ERRORS = (DBAPIError, PoolTimeout, ConnectionError, TimeoutError, OSError)


def error_answer(exc: Exception) -> JSONResponse:
    """The answer the installed handlers give for `exc`, for a caller outside the app's own
    exception handling (the hot lane, shared/hot_lane.py)."""
    if isinstance(exc, DomainError):
        return _domain_error(_NO_REQUEST, exc)
    if isinstance(exc, RequestValidationError):
        return _validation_error(_NO_REQUEST, exc)
    if isinstance(exc, StarletteHTTPException):
        return _http_error(_NO_REQUEST, exc)
    return _unexpected(_NO_REQUEST, exc)


# The handlers take a request as Starlette calls them, and read nothing from it.
_NO_REQUEST: Request = None  # type: ignore[assignment]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for cls in _INFRASTRUCTURE_ERRORS:
        app.add_exception_handler(cls, _unexpected)
    app.add_exception_handler(Exception, _unexpected)
