"""Slugs: the readable part of a public URL (`/events/driving-place-leadership`)."""

from __future__ import annotations

import re
import unicodedata
import uuid

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def slugify(text: str, *, fallback: str = "event", max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    # A slug that reads as a UUID would make `/events/{id-or-slug}` ambiguous.
    return fallback if not slug or looks_like_uuid(slug) else slug


def looks_like_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def numbered(slug: str, n: int, *, max_length: int = 80) -> str:
    """The n-th alternative of a slug already taken: `reunion`, `reunion-2`, `reunion-3`."""
    suffix = f"-{n}"
    return slug[: max_length - len(suffix)].rstrip("-") + suffix
