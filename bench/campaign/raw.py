"""The ceiling: aiosmtplib alone handing the campaign's messages (composed beforehand, the same
bytes the service would send) to the sink over N persistent connections, as fast as it can.

    python -m bench.campaign.raw --port P --connections 8 --count 10000

Runs as its own process, as the service does, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import aiosmtplib
import uvloop

from services.notifications.composing.campaign_mail import CampaignFacts, CampaignMail
from services.notifications.composing.contexts import SAMPLE_EVENT
from services.notifications.settings import NotificationsSettings

SENDER = "programme@leadinggm.example.org"


def messages(count: int) -> list[tuple[str, bytes]]:
    facts = CampaignFacts(
        uuid.uuid4(),
        SAMPLE_EVENT.event_id,
        "invitation",
        "You are invited",
        "Do come.",
        datetime.now(UTC) + timedelta(days=30),
        "bench",
    )
    mail = CampaignMail(facts, SAMPLE_EVENT, NotificationsSettings())
    out = []
    for n in range(count):
        address = f"raw{n}@example.org"
        out.append((address, mail.build(delivery_id=uuid.uuid4(), email=address, name=f"Raw {n}")))
    return out


async def send_all(port: int, connections: int, queue: list[tuple[str, bytes]]) -> float:
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port) for _ in range(connections)]
    for client in clients:
        await client.connect()
        await client.ehlo()
    items = iter(queue)

    async def work(client: aiosmtplib.SMTP) -> None:
        for address, raw in items:
            await client.mail(SENDER)
            await client.rcpt(address)
            await client.data(raw)

    started = time.perf_counter()
    await asyncio.gather(*(work(c) for c in clients))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.quit()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign.raw")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    prepared = messages(args.count)
    elapsed = uvloop.run(send_all(args.port, args.connections, prepared))
    print(json.dumps({"count": args.count, "seconds": elapsed, "rate": args.count / elapsed}))


if __name__ == "__main__":
    main()
