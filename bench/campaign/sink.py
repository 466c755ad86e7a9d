"""The benchmarks' SMTP sink: an aiosmtpd server in the bench process that only counts what
arrives (per recipient, with the arrival time of the first copy), so it costs as little as an
SMTP server can and duplicates and missing emails are plain to see."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter

from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingSink:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.counts: Counter[str] = Counter()
        self.arrivals: dict[str, float] = {}
        self.total = 0
        self.last = 0.0
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.perf_counter()
        for address in envelope.rcpt_tos:
            key = address.lower()
            self.counts[key] += 1
            self.arrivals.setdefault(key, now)
        self.total += 1
        self.last = now
        return f"250 OK {self.total}"

    def reset(self) -> None:
        self.counts.clear()
        self.arrivals.clear()
        self.total, self.last = 0, 0.0

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.counts.values() if n > 1)

    def missing(self, expected: set[str]) -> int:
        return len(expected - set(self.counts))

    async def start(self) -> CountingSink:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self), self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
