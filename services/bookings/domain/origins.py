"""Origins as browsers send them, and whether a partner's list admits one (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port, or None if not an origin.

    Browsers send the host in lower case and leave out default ports; staff may type either."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_allowed(origin: str, allowed: Iterable[str]) -> bool:
    wanted = normalise_origin(origin)
    return wanted is not None and any(normalise_origin(a) == wanted for a in allowed)


def same_origin(origin: str, host_header: str, public_base_url: str) -> bool:
    """A request from one of this service's own pages (the booking and manage pages).

    Compared on host and port only: behind a TLS-terminating proxy the scheme the service sees
    is not the one the browser used."""
    wanted = normalise_origin(origin)
    if wanted is None:
        return False
    netloc = urlsplit(wanted).netloc
    own = normalise_origin(public_base_url) if public_base_url else None
    return netloc == host_header.lower() or (own is not None and wanted == own)
