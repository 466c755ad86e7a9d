"""Token buckets per client and route group (no I/O: the caller passes the time)."""

from __future__ import annotations

import functools
import ipaddress
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    burst: float  # requests a client may make at once
    per_second: float  # and the rate the allowance comes back at


def route_group(method: str, path: str) -> str | None:
    """Which allowance a public request draws on; None for what is not limited (static
    files, health, staff routes, and CORS preflights, which do no work)."""
    if method == "OPTIONS":
        return None
    if path.startswith("/public/events/") and path.endswith("/bookings"):
        return "book" if method == "POST" else "read"
    if path.startswith("/staff/checkin/tokens/"):
        # A staff route, but it turns a code into a person: limited like the manage links, so
        # a stolen staff token cannot walk the code space quickly.
        return "checkin_code"
    if path.startswith(("/public/bookings/", "/manage/")):
        return "manage"
    if path.startswith(("/public/", "/book/")):
        return "read"
    return None


@functools.lru_cache(maxsize=65_536)
def _ipv6_network(address: str) -> str:
    try:
        parsed = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


def client_key(address: str) -> str:
    """The bucket a client address draws on: IPv4 addresses alone, IPv6 by /64, since one
    subscriber is routinely given a whole /64 and could otherwise take a fresh address (and
    a fresh allowance) for every request."""
    return _ipv6_network(address) if ":" in address else address


class Buckets:
    """One bucket per (group, client), forgotten once it has filled up again, so memory
    follows the clients seen lately rather than all clients ever seen."""

    def __init__(self, limits: dict[str, Limit], *, sweep_every: int = 10_000) -> None:
        self._limits = limits
        self._state: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, at
        self._sweep_every = sweep_every
        self._since_sweep = 0

    def take(self, group: str, client: str, now: float) -> float:
        """0 if the request may go ahead, else the seconds until it could."""
        limit = self._limits.get(group)
        if limit is None:
            return 0.0
        tokens, at = self._state.get((group, client), (limit.burst, now))
        tokens = min(limit.burst, tokens + (now - at) * limit.per_second)
        if tokens < 1:
            self._state[(group, client)] = (tokens, now)
            return (1 - tokens) / limit.per_second
        self._state[(group, client)] = (tokens - 1, now)
        self._since_sweep += 1
        if self._since_sweep >= self._sweep_every:
            self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        for (group, client), (tokens, at) in list(self._state.items()):
            limit = self._limits[group]
            if tokens + (now - at) * limit.per_second >= limit.burst:
                del self._state[(group, client)]


def retry_after(wait: float) -> int:
    """Whole seconds for a Retry-After header: never 0, or the client would retry at once."""
    return max(1, math.ceil(wait))
