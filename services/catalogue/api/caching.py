"""Conditional GETs for public pages: a strong ETag over the exact body, so a partner site's
widget revalidates with one cheap request and gets a body-less 304 when nothing changed."""

from __future__ import annotations

import hashlib

import orjson
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

CACHE_CONTROL = "public, max-age=30"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    return "*" in candidates or etag in {c.removeprefix("W/") for c in candidates}


def cached_json(request: Request, content: BaseModel | list[BaseModel]) -> Response:
    body = orjson.dumps(jsonable_encoder(content))
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
