"""Which failures are the infrastructure's, not the message's: worth waiting out, not retrying."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def is_transient(exc: BaseException) -> bool:
    """True for a database (or broker) that is away. Mail errors are not included: email
    sending has its own growing retry delays through the retry queues."""
    if type(exc).__module__.startswith("aiosmtplib"):
        return False
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # asyncpg raises OSError subclasses (refused, reset) when the server is away.
    return isinstance(exc, ConnectionError | TimeoutError | asyncio.TimeoutError | OSError)
