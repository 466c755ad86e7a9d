"""Who the client is behind the ingress: X-Forwarded-For believed only from trusted proxies.

Every request from a proxy arrives from the proxy's address, so without this every visitor
would share one rate-limit bucket; believing the header from anyone would let a client name
any address it likes. The client is the nearest hop that is not a trusted proxy, walking the
header from the right (each proxy appends the address it saw), so what a client writes into
the header itself, on the left, is never reached while a trusted proxy speaks for it.

This is the services' one place for proxy headers (uvicorn runs with `--no-proxy-headers`).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_SCHEMES = {b"http": "http", b"https": "https"}


def _parse_hop(hop: str) -> Address | None:
    """One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`."""
    hop = hop.strip()
    if hop.startswith("["):
        hop = hop[1 : hop.find("]")] if "]" in hop else hop
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The trusted networks, parsed once; membership answers are cached per address."""

    def __init__(self, networks: Sequence[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        self.trusts = functools.lru_cache(maxsize=4096)(self._trusts)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def _trusts(self, host: str) -> bool:
        address = _parse_hop(host)
        return address is not None and self._contains(address)

    def _contains(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def rewrite(self, scope: Scope) -> None:
        """Set the scope's client and scheme from the forwarded headers, if the peer is trusted."""
        client = scope.get("client")
        if client and self.trusts(client[0]):
            forwarded = [v for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if forwarded:
                header = b",".join(forwarded).decode("latin-1")
                scope["client"] = (self.client_of(header, client[0]), 0)
            for name, value in scope["headers"]:
                if name == b"x-forwarded-proto" and value.strip().lower() in _SCHEMES:
                    scope["scheme"] = _SCHEMES[value.strip().lower()]

    def client_of(self, forwarded_for: str, peer: str) -> str:
        """The nearest untrusted hop of the header; a hop that is not an address ends the
        walk at the last address known (a trusted proxy never writes one)."""
        known = peer
        for hop in reversed(forwarded_for.split(",")):
            address = _parse_hop(hop)
            if address is None:
                break
            known = str(address)
            if not self._contains(address):
                break
        return known


class ForwardedClientMiddleware:
    """Sets the request's client (and scheme, from X-Forwarded-Proto) from the forwarded
    headers when, and only when, the peer is a trusted proxy. Installed only when there are
    trusted proxies; the header is parsed only for requests from them."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[str]) -> None:
        self.app = app
        self.trusted = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.trusted.rewrite(scope)
        await self.app(scope, receive, send)
