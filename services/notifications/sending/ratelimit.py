"""A token bucket: at most `rate` sends per second on average, bursts of at most `burst`."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float, *, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    async def acquire(self) -> None:
        """Wait for one token. Waiters are served in order (the lock is FIFO), and the refill
        is computed from the clock, not from sleeps, so a late wake-up costs no throughput."""
        if not self.enabled:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)
