"""The keys staff tokens are checked against: Ed25519 public keys from PEM text, a PEM file, or a
JWKS URL, each known by its `kid` (the RFC 7638 thumbprint of the public key).

Only the console (and a script holding the private key) signs staff tokens; the services hold
public keys alone, so no service can mint one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.logging import get_logger
from shared.settings import DEV_STAFF_TOKEN_PUBLIC_KEY_FILE

log = get_logger("shared.staff_keys")

DEV_PUBLIC_KEY_FILE = Path(DEV_STAFF_TOKEN_PUBLIC_KEY_FILE)
DEV_KEY_DIR = DEV_PUBLIC_KEY_FILE.parent
DEV_PRIVATE_KEY_FILE = DEV_KEY_DIR / "staff-signing.key"

_PEM_END = "-----END PUBLIC KEY-----"


class KeysUnavailable(Exception):
    """No key can be had right now (the JWKS URL did not answer and nothing is cached)."""


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, public_pem_of(private)


def public_pem_of(private: Ed25519PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_private_key(private_key_pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("staff tokens are signed with an Ed25519 key")
    return key


def load_public_keys(pem_text: str) -> list[Ed25519PublicKey]:
    """Every public key in `pem_text`: several PEM blocks let a new key and the old one be
    trusted side by side while the console's key is rotated."""
    keys = []
    for block in pem_text.split(_PEM_END):
        if not block.strip():
            continue
        key = serialization.load_pem_public_key(f"{block.strip()}\n{_PEM_END}\n".encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("staff tokens are verified with Ed25519 public keys")
        keys.append(key)
    return keys


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint: the same key always has the same id, wherever it is published."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(_raw(key))}, separators=(",", ":")
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(public_key_pem: str) -> dict[str, str]:
    """The JWK of one public key, for a JWKS document (`{"keys": [...]}`) the console serves."""
    (key,) = load_public_keys(public_key_pem)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(_raw(key)),
        "kid": key_id(key),
        "alg": "EdDSA",
        "use": "sig",
    }


def ensure_dev_keypair(
    private_file: Path = DEV_PRIVATE_KEY_FILE, public_file: Path = DEV_PUBLIC_KEY_FILE
) -> bool:
    """Create the development key pair unless it exists; True when it was made now."""
    if private_file.exists() and public_file.exists():
        return False
    private_pem, public_pem = generate_keypair()
    private_file.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed, so a reader never sees half a key.
    for path, text, mode in ((private_file, private_pem, 0o600), (public_file, public_pem, 0o644)):
        partial = path.with_suffix(path.suffix + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        partial.replace(path)
    return True


class StaticKeys:
    """Keys given as PEM text (a setting) or in a PEM file, which is re-read when it changes so
    the development key made by `make run` is picked up by services that started first."""

    def __init__(self, pem_text: str = "", path: str = "") -> None:
        self._path = Path(path) if path else None
        self._stamp: float | None = None
        self._keys = self._index(load_public_keys(pem_text)) if pem_text else {}

    @staticmethod
    def _index(keys: list[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
        return {key_id(key): key for key in keys}

    def _reload(self) -> None:
        if self._path is None:
            return
        try:
            stamp = self._path.stat().st_mtime
        except FileNotFoundError:
            self._keys, self._stamp = {}, None
            return
        if stamp != self._stamp:
            self._keys = self._index(load_public_keys(self._path.read_text()))
            self._stamp = stamp

    async def key_for(self, kid: str) -> Ed25519PublicKey | None:
        self._reload()
        if not self._keys:
            raise KeysUnavailable(f"no staff token public key at {self._path}")
        return self._keys.get(kid)


class JwksKeys:
    """Keys fetched from a JWKS URL with a bounded timeout, cached, and fetched again when a
    token names a key not yet seen (the console rotated its key) or the cache is old. Refetches
    on unknown ids are spaced out, so a stream of forged `kid`s cannot hammer the key server."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        max_age: float = 600.0,
        min_refetch_interval: float = 10.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_age = max_age
        self.min_refetch_interval = min_refetch_interval
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> Ed25519PublicKey | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > self.max_age
        may_try = self._tried_at is None or now - self._tried_at > self.min_refetch_interval
        if (stale or kid not in self._keys) and may_try:
            await self._refresh()
        if self._fetched_at is None:
            raise KeysUnavailable(f"the JWKS at {self.url} could not be fetched")
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            self._tried_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    answer = await client.get(self.url)
                    answer.raise_for_status()
                    document = answer.json()
                self._keys = _parse_jwks(document)
                self._fetched_at = time.monotonic()
            except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
                # The cached keys (if any) go on serving; the next request tries again.
                log.warning("jwks_fetch_failed", url=self.url, error=type(exc).__name__)


def _parse_jwks(document: Any) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for entry in document["keys"]:
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        key = jwt.PyJWK(entry, algorithm="EdDSA").key
        if isinstance(key, Ed25519PublicKey):
            keys[str(entry.get("kid") or key_id(key))] = key
    return keys
