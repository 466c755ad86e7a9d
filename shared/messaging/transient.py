"""Which failures are the infrastructure's, not the message's: worth waiting out, not retrying."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL refusing a session it has no room or readiness for: class 53 (insufficient
# resources: 53300 "too many clients" when max_connections is reached), 57P03 (starting up or
# shutting down), class 08 (connection exceptions). asyncpg and SQLAlchemy's adapter both carry
# the code as `sqlstate`; SQLAlchemy wraps these as a plain DBAPIError, not an OperationalError.
# And a transaction the server chose to abort so that others could go on (40001 serialization
# failure, 40P01 deadlock): it wrote nothing, and the same work done again succeeds.
_UNAVAILABLE_SQLSTATES = ("53", "57P03", "08", "40001", "40P01")


def _refused_for_now(error: object) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES)


def is_transient(exc: BaseException) -> bool:
    """True for a database (or broker) that is away. Mail errors are not included: email
    sending has its own growing retry delays through the retry queues."""
    if type(exc).__module__.startswith("aiosmtplib"):
        return False
    # PoolTimeout: every connection of the process's pool stayed busy for pool_timeout (a
    # loaded machine); SQLAlchemy's own TimeoutError is not the builtin one.
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if _refused_for_now(getattr(exc, "orig", None) or exc):
        return True
    # asyncpg raises OSError subclasses (refused, reset) when the server is away.
    return isinstance(exc, ConnectionError | TimeoutError | asyncio.TimeoutError | OSError)
