"""The download link an export is sent with: the request id and an expiry, signed with the
privacy key. Anything wrong with a link (forged, expired, unknown) answers the same."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime


def _signature(key: str, request_id: uuid.UUID, expires: int) -> str:
    text = f"privacy-export:{request_id}:{expires}".encode()
    return hmac.new(key.encode(), text, hashlib.sha256).hexdigest()


def sign_download(key: str, request_id: uuid.UUID, expires_at: datetime) -> str:
    """The query string for the download of `request_id`."""
    expires = int(expires_at.timestamp())
    return f"expires={expires}&sig={_signature(key, request_id, expires)}"


def download_is_valid(
    key: str, request_id: uuid.UUID, expires: int, sig: str, *, now: datetime | None = None
) -> bool:
    moment = now or datetime.now(UTC)
    if expires < moment.timestamp():
        return False
    return hmac.compare_digest(_signature(key, request_id, expires), sig)
