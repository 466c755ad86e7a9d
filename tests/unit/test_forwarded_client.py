"""Reading the client behind trusted proxies (shared/proxies.py) and the rate limit's bucket
key, on plain values and on an ASGI scope."""

from __future__ import annotations

from typing import Any

import pytest

from services.bookings.domain.rate_limits import client_key
from shared.proxies import ForwardedClientMiddleware, TrustedProxies

TRUSTED = TrustedProxies(["10.42.0.0/16", "fd00:42::/64", "192.0.2.1"])


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("198.51.100.1, 10.42.0.9", "198.51.100.1"),
        ("203.0.113.5, 198.51.100.1", "198.51.100.1"),  # the visitor's own entry is ignored
        ("198.51.100.1:4711", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1, fd00:42::3", "2001:db8::1"),
        ("::ffff:198.51.100.9", "198.51.100.9"),
        ("10.42.0.1, 192.0.2.1", "10.42.0.1"),  # all trusted: the farthest one
        ("unknown, 198.51.100.1", "198.51.100.1"),
        ("198.51.100.1, garbage", "10.42.0.7"),  # never written by a trusted proxy: the peer
        ("", "10.42.0.7"),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(header: str, client: str) -> None:
    assert TRUSTED.client_of(header, "10.42.0.7") == client


def test_trust_is_by_network_and_cached() -> None:
    assert TRUSTED.trusts("10.42.200.1") and TRUSTED.trusts("fd00:42::ffff")
    assert not TRUSTED.trusts("10.43.0.1") and not TRUSTED.trusts("not-an-address")
    assert TRUSTED.trusts.cache_info().currsize >= 4


def test_ipv6_clients_share_a_bucket_per_64() -> None:
    assert (
        client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == ("2001:db8:1:2::/64")
    )
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("198.51.100.1") == "198.51.100.1"
    assert client_key("::ffff:198.51.100.1") == "198.51.100.1"


async def _scope_after(peer: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    middleware = ForwardedClientMiddleware(app, trusted=["10.42.0.0/16"])
    scope = {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": headers}
    await middleware(scope, None, None)  # type: ignore[arg-type]
    return seen


async def test_forwarded_headers_are_believed_from_trusted_peers_only() -> None:
    headers = [(b"x-forwarded-for", b"198.51.100.1"), (b"x-forwarded-proto", b"https")]
    trusted = await _scope_after("10.42.0.7", headers)
    assert (trusted["client"][0], trusted["scheme"]) == ("198.51.100.1", "https")
    direct = await _scope_after("203.0.113.9", headers)
    assert (direct["client"][0], direct["scheme"]) == ("203.0.113.9", "http")
    odd = await _scope_after("10.42.0.7", [(b"x-forwarded-proto", b"javascript")])
    assert (odd["client"][0], odd["scheme"]) == ("10.42.0.7", "http")
