"""One logger setup: structlog JSON to stdout, a line per event, the same keys in every service.

Every line carries `timestamp`, `level`, `service`, `event`, `correlation_id` and `message_id`
(null when none is in play). Correlation ids live in context variables, bound by the HTTP
middleware and by the consumer runner, so whatever a request or message causes is tagged.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import asyncpg
import orjson
import structlog
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from structlog.contextvars import bind_contextvars, get_contextvars, reset_contextvars
from structlog.typing import EventDict

T = TypeVar("T")
# Any `x@y` token, whatever its characters (IDN domains, `!` and `'` in local parts, a quoted
# local part): stopping only at whitespace and the characters that delimit an address in text.
_EMAIL = re.compile(r'("[^"\r\n]{0,64}"|[^\s@<>()\[\]{},;:"]+)@([^\s@<>()\[\]{},;:"]+)')
_ALWAYS = ("correlation_id", "message_id")


def mask_email(email: str | None) -> str | None:
    """`jane.doe@council.gov.uk` -> `j***@c***.uk`: tells addresses apart without revealing one."""
    if not email:
        return email
    return _EMAIL.sub(_masked, email)


def _masked(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    dot = domain.rfind(".")
    tail = domain[dot:] if dot > 0 and len(domain) - dot <= 12 else ""
    return f"{local[0]}***@{domain[0]}***{tail}"


def describe_error(exc: BaseException) -> str:
    """An exception for a log line or a message header: database and validation errors by
    their type and codes only (their text carries parameters and input values: names, access
    needs, the tail of a manage link); anything else by its text with addresses masked."""
    if isinstance(exc, ValidationError):
        codes = ",".join(sorted({str(e["type"]) for e in exc.errors()}))
        return f"ValidationError({exc.error_count()} errors: {codes})"
    if isinstance(exc, SQLAlchemyError | asyncpg.PostgresError):
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)
        name = type(exc).__name__
        return f"{name}(sqlstate={code})" if code else name
    return mask_email(f"{type(exc).__name__}: {exc}") or type(exc).__name__


def _safe_traceback(exc: BaseException) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    lines: list[str] = []
    for item in reversed(chain):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(item.__traceback__))
        lines.append(describe_error(item) + "\n")
    return "".join(lines)


def _format_exc_info(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # In place of structlog's format_exc_info: the same traceback, but each exception's own
    # text goes through `describe_error`.
    exc_info = event_dict.pop("exc_info", None)
    if isinstance(exc_info, BaseException):
        exc: BaseException | None = exc_info
    elif isinstance(exc_info, tuple):
        exc = exc_info[1]
    elif exc_info:
        exc = sys.exc_info()[1]
    else:
        exc = None
    if exc is not None:
        event_dict["exception"] = _safe_traceback(exc)
    return event_dict


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return _EMAIL.sub(_masked, value) if "@" in value else value
    if isinstance(value, Mapping):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v) for v in value]
    return value


def _mask_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # A backstop: code logs masked addresses itself, but an address inside an error text
    # (an SMTP refusal, say) must not reach the logs either.
    return {k: _mask_value(v) for k, v in event_dict.items()}


def _common_keys(service: str) -> Any:
    def add(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        for key in _ALWAYS:
            event_dict.setdefault(key, None)
        return event_dict

    return add


_FIRST = ("timestamp", "level", "service", "event", "correlation_id", "message_id")


def _common_keys_first(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # Readers scan the left edge: the same keys in the same place on every line.
    ordered = {k: event_dict.pop(k) for k in _FIRST if k in event_dict}
    ordered.update(event_dict)
    return ordered


def _dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


_configured_service: str | None = None


class _StdoutLogger:
    """Writes each rendered line to whatever `sys.stdout` is at that moment (so a test's
    capture, or a redirect, sees it), one write per line."""

    def msg(self, line: str) -> None:
        sys.stdout.write(line + "\n")

    info = warning = error = critical = exception = debug = log = msg


def _stdout_logger(*_: Any) -> _StdoutLogger:
    return _StdoutLogger()


def configure_logging(service: str, level: str = "INFO") -> None:
    """Set up structlog and route the standard library's loggers through the same JSON renderer.

    Our own lines go straight from structlog's processors to stdout: the standard library's
    logging machinery (records, handlers, formatter re-running the chain) cost about 60 µs a
    line, which a service answering thousands of requests a second notices. Libraries' lines
    still go through the standard library, rendered by the same processors, so every line has
    the same keys in the same order either way.
    """
    global _configured_service
    _configured_service = service
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _common_keys(service),
        _format_exc_info,
        _mask_personal_data,
    ]
    renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    structlog.configure(
        processors=[*shared_processors, _common_keys_first, renderer],
        logger_factory=_stdout_logger,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared_processors],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _common_keys_first,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The access log is replaced by our own request line, which carries the correlation id.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiormq", "aio_pika", "asyncio", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def accept_correlation_id(value: str | None) -> str:
    """Keep a caller's `X-Request-ID` only if it is a plain token; anything else is replaced."""
    if value and _SAFE_ID.match(value):
        return value
    return new_correlation_id()


def current_correlation_id() -> str | None:
    return get_contextvars().get("correlation_id")


def current_message_id() -> str | None:
    return get_contextvars().get("message_id")


def background_task(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Start a long-lived task outside the current request's or message's context.

    Tasks inherit the context they are created in, so one started lazily while handling a
    booking would tag every line it ever logs with that booking's correlation id.
    """
    return asyncio.create_task(coro, name=name, context=contextvars.Context())


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind ids for the duration of a block (a request, a message) and restore what was there."""
    tokens = bind_contextvars(**values)
    try:
        yield
    finally:
        reset_contextvars(**tokens)
