"""Console commands for a deployer:

python -m services.console.cli create-admin --email EMAIL --name NAME   (asks for a password)
python -m services.console.cli demo-admin    (the demo admin `make run` prints; idempotent)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os

from services.console.domain.passwords import hash_password, password_problem
from services.console.persistence import accounts
from services.console.settings import ConsoleSettings
from services.console.usecases.staff_accounts import ensure_demo_admin
from shared.db import Database, make_engine


async def _demo_admin(settings: ConsoleSettings) -> str:
    if settings.environment == "production":
        return "production: no demo admin is made (use create-admin)"
    db = Database(make_engine(settings.database_url, pool_size=1), producer="console")
    try:
        made = await ensure_demo_admin(
            db,
            email=settings.demo_admin_email,
            password=settings.demo_admin_password.get_secret_value(),
        )
    finally:
        await db.dispose()
    return f"demo admin {'created' if made else 'already there'}: {settings.demo_admin_email}"


async def _create_admin(settings: ConsoleSettings, email: str, name: str, password: str) -> str:
    db = Database(make_engine(settings.database_url, pool_size=1), producer="console")
    try:
        async with db.unit_of_work() as uow:
            if await accounts.by_email(uow, email):
                return f"{email} has an account already"
            await accounts.create(
                uow, email=email, name=name, roles=["admin"], password_hash=hash_password(password)
            )
            await uow.commit()
    finally:
        await db.dispose()
    return f"admin created: {email}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.console.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-admin", help="add an administrator with a password")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    sub.add_parser("demo-admin", help="make the demo admin if it is missing")
    args = parser.parse_args(argv)
    # `make run` and compose name each service's database as <SERVICE>_DATABASE_URL.
    url = os.environ.get("CONSOLE_DATABASE_URL", "")
    settings = ConsoleSettings(database_url=url) if url else ConsoleSettings()
    if args.command == "demo-admin":
        print(asyncio.run(_demo_admin(settings)))
        return 0
    password = getpass.getpass("Password: ")
    if problem := password_problem(password):
        print(f"refused: {problem}")
        return 2
    print(asyncio.run(_create_admin(settings, args.email, args.name, password)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
