"""Database creation and Alembic migrations for a service.

    python -m shared.migrations catalogue|bookings|notifications|console|all

creates each service's database if it is missing and migrates it to head. One service named:
its DATABASE_URL from the environment (or the default); `all`: each service's
<SERVICE>_DATABASE_URL (or its default), as `make run` uses them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import async_engine_from_config

SERVICES = ("catalogue", "bookings", "notifications", "console")
ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist; True if it was created."""
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
        return not exists
    finally:
        await conn.close()


async def migrate(service: str, url: str) -> None:
    await ensure_database(url)
    # Alembic's commands run their own event loop for async engines: keep them off ours.
    await asyncio.to_thread(command.upgrade, alembic_config(service, url), "head")


def run_env(database_metadata: Sequence[MetaData]) -> None:
    """The body of every service's migrations/env.py: `database_metadata` is every table the
    service's database holds (its persistence/schema.py), so autogenerate sees them all."""
    config = context.config
    metadata = list(database_metadata)

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.migrations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("service", choices=[*SERVICES, "all"])
    args = parser.parse_args(argv)
    from shared.settings import ServiceSettings

    names = SERVICES if args.service == "all" else (args.service,)
    for name in names:
        if args.service == "all":
            url = os.environ.get(f"{name.upper()}_DATABASE_URL", "")
            settings = ServiceSettings(service_name=name, database_url=url)
        else:
            settings = ServiceSettings(service_name=name)
        asyncio.run(migrate(name, settings.database_url))
        print(f"{name}: migrated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
