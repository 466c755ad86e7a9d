"""The send rate: at most `rate` emails per second on average, bursts of at most `burst`.

A token bucket in its GCRA form (virtual scheduling): each send takes the next slot on a
schedule spaced 1/rate apart. The schedule, not the clock at wake-up, decides the next slot,
so a timer that fires a millisecond late costs no throughput, and the long-run rate is the
configured one exactly; after an idle spell at most `burst` sends go at once.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float, *, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._interval = 1 / rate if rate > 0 else 0.0
        self._tolerance = (self.burst - 1) * self._interval
        self._next = time.monotonic()  # the theoretical time of the next send
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    async def acquire(self) -> None:
        """Wait for this send's slot. Waiters are served in order (the lock is FIFO)."""
        if not self.enabled:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            allowed_at = slot - self._tolerance
            if allowed_at > now:
                await asyncio.sleep(allowed_at - now)
            self._next = slot + self._interval
