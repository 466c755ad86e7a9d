"""Waits for the three services to be ready, then tells a newcomer where everything is."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

import httpx

from services.console.settings import ConsoleSettings
from shared.auth import sign_staff_token
from shared.settings import ServiceSettings
from shared.staff_keys import DEV_PRIVATE_KEY_FILE, ensure_dev_keypair

SERVICES = {"catalogue": 8001, "bookings": 8002, "notifications": 8003, "console": 8004}


async def wait_ready() -> None:
    async with httpx.AsyncClient() as client:
        for name, port in SERVICES.items():
            for _ in range(600):
                try:
                    if (
                        await client.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                    ).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            else:
                print(f"{name} did not become ready; see its lines above", flush=True)


def banner() -> str:
    settings = ServiceSettings()
    # `make run` made the key already; the Procfile started alone makes it here.
    ensure_dev_keypair()
    token = sign_staff_token(
        DEV_PRIVATE_KEY_FILE.read_text(),
        subject="local-staff",
        name="Local Staff",
        roles=["admin", "staff", "ops"],
        issuer=settings.jwt_issuer,
        ttl=timedelta(hours=12),
    )
    console = ConsoleSettings()
    lines = ["", "=" * 72, "The programme is running.", ""]
    lines += [
        "  staff console  http://127.0.0.1:8004",
        f"                 sign in as {console.demo_admin_email}"
        f" / {console.demo_admin_password.get_secret_value()}",
        "",
    ]
    for name, port in SERVICES.items():
        if name != "console":
            lines.append(f"  {name:<14} http://127.0.0.1:{port}   (API docs: /docs)")
    lines += [
        "",
        "  partner page   http://127.0.0.1:8080   (two booking widgets on another origin)",
        "",
        f"  emails land in {Path('var/mail').resolve()} as .eml files (SMTP sink on 1025)",
        "",
        "  staff token (12 h; another: `python -m shared.auth mint --role staff --minutes 720`):",
        f"  {token}",
        "",
        "  Ctrl-C stops everything.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    await wait_ready()
    print(banner(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Stays up: honcho stops every process when one of them exits.
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
