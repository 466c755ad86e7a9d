"""Conditional GETs for public pages, so a partner site's widget revalidates with one cheap
request and gets a body-less 304 when nothing changed.

A published event's page changes only with its version (its own edits, and edits to the
venue, people and programme it shows, all take a new version), so its ETag is a hash of
(id, version) and a 304 needs one small query. Anything else (lists, cancelled or completed
events) gets a strong hash of the exact body.
"""

from __future__ import annotations

import hashlib
import uuid

import orjson
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

CACHE_CONTROL = "public, max-age=30"
# Bump when the public event body changes shape, so caches holding the old shape revalidate.
BODY_REVISION = "1"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def version_etag(event_id: uuid.UUID, version: int) -> str:
    key = f"{BODY_REVISION}:{event_id}:{version}".encode()
    return '"v' + hashlib.sha256(key).hexdigest()[:31] + '"'


def not_modified(request: Request, etag: str) -> Response | None:
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    return "*" in candidates or etag in {c.removeprefix("W/") for c in candidates}


def cached_json(
    request: Request, content: BaseModel | list[BaseModel], *, etag: str | None = None
) -> Response:
    body = orjson.dumps(jsonable_encoder(content))
    etag = etag or etag_of(body)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    return Response(body, media_type="application/json", headers=headers)
