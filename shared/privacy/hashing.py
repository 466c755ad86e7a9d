"""An erased address is kept only as a keyed hash (HMAC-SHA256 under `PRIVACY_HASH_KEY`), so the
suppression list can still recognise it without holding it, and a stolen table cannot be
reversed by hashing a list of guessed addresses without the key."""

from __future__ import annotations

import hashlib
import hmac

# Where an erased person's address used to be: a reserved domain that never receives mail.
ERASED_DOMAIN = "erased.invalid"
ERASED_NAME = ""


def address_key(email: str) -> str:
    """Addresses compare trimmed and case-insensitively, as everywhere else."""
    return email.strip().lower()


def address_hash(key: str, email: str) -> str:
    return hmac.new(key.encode(), address_key(email).encode(), hashlib.sha256).hexdigest()


def erased_address(row_id: object) -> str:
    """A unique stand-in per row (unique indexes on the address keep holding)."""
    return f"erased-{row_id}@{ERASED_DOMAIN}"


def is_erased_address(email: str) -> bool:
    return address_key(email).endswith("@" + ERASED_DOMAIN)
