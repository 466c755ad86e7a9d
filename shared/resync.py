"""The resync command every owning service has (`python -m services.<service>.resync`): write
the current versioned state of everything the service owns to its outbox, one page per
transaction, for its relay to publish, so that replicas elsewhere converge after a restore.

The messages are `<entity>.resynced`: consumers apply them to their replicas under the same
version guard as any update (an equal or older version changes nothing) and never send an
email for one, since the people concerned were told when the change happened.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

from shared.db import Database, make_engine
from shared.logging import configure_logging, get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

Resync = Callable[[Database, int], Awaitable[int]]


async def run(settings: ServiceSettings, resync: Resync, *, page: int) -> int:
    db = Database(make_engine(settings.database_url, pool_size=2), producer=settings.service_name)
    try:
        count = await resync(db, page)
    finally:
        await db.dispose()
    log.info("resync.written", messages=count)
    return count


def main(settings: ServiceSettings, resync: Resync, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{settings.service_name}.resync",
        description=f"Republish the current state of what {settings.service_name} owns "
        "(through its outbox; the running service's relay publishes it).",
    )
    parser.add_argument("--page", type=int, default=500, help="rows per transaction")
    args = parser.parse_args(argv)
    if args.page < 1:
        parser.error("--page must be at least 1")
    configure_logging(settings.service_name, settings.log_level)
    count = asyncio.run(run(settings, resync, page=args.page))
    print(f"{count} messages written to the {settings.service_name} outbox")
    return 0
