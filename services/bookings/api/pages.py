"""What a browser loads from bookings besides the API: the widget script partners embed, the
booking page campaign links open (`/book/{event}?invitation=...`), the manage page booking
emails link to (`/manage/{token}`), and their static files.

Pages carry no inline script (the shared content policy forbids it): each loads its script
from here. The pages are shells: what they show comes from the public API."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam

from shared.errors import NotFound

STATIC = Path(__file__).resolve().parents[1] / "static"
router = APIRouter(tags=["widget and pages"])

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# Files the pages load, by the name in their URL.
_STATIC_FILES = ("manage.js", "pages.css")
# The script's address is fixed (partners paste it), so caches keep it briefly and then
# revalidate with its ETag: a new version reaches every partner page within minutes.
_SCRIPT_CACHE = "public, max-age=300, stale-while-revalidate=3600"
_PAGE_CACHE = "no-cache"
EventRef = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{1,80}$")]
Token = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,100}$")]


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    media_type: str


@cache
def asset(name: str) -> Asset:
    body = (STATIC / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, etag, _TYPES[Path(name).suffix])


def _serve(request: Request, found: Asset, cache_control: str, **headers: str) -> Response:
    common = {"ETag": found.etag, "Cache-Control": cache_control, **headers}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=common)
    return Response(found.body, media_type=found.media_type, headers=common)


def _page(name: str, **values: str) -> Response:
    template = Template(asset(name).body.decode())
    body = template.substitute({k: html.escape(v) for k, v in values.items()})
    return Response(body, media_type=_TYPES[".html"], headers={"Cache-Control": _PAGE_CACHE})


@router.get("/widget.js", response_class=Response, responses={304: {"description": "unchanged"}})
async def widget_script(request: Request) -> Response:
    """The booking widget partners embed with a script tag (see docs/widget.md)."""
    return _serve(
        request,
        asset("widget.js"),
        _SCRIPT_CACHE,
        # Loaded by pages on other sites, including ones that isolate themselves (COEP).
        **{"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"},
    )


@router.get(
    "/static/{name}",
    response_class=Response,
    responses={304: {"description": "unchanged"}, 404: {"description": "no such file"}},
)
async def static_file(name: str, request: Request) -> Response:
    """The scripts and styles of the booking and manage pages."""
    if name not in _STATIC_FILES:
        raise NotFound("no such file")
    return _serve(request, asset(name), _SCRIPT_CACHE)


@router.get("/book/{event_ref}", response_class=Response)
async def booking_page(event_ref: EventRef) -> Response:
    """A page with the widget for one event (by id or slug): where campaign links lead,
    `?invitation=<token>` and all."""
    return _page("book.html", event_ref=event_ref)


@router.get("/manage/{token}", response_class=Response)
async def manage_page(token: Token) -> Response:
    """The page a booking email links to: see the booking, change the option, or cancel.
    The token stays in the address; the page's script reads it and calls the public API."""
    response = _page("manage.html")
    # The address carries the manage token: keep the page out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response
