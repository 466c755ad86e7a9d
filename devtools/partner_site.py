"""A partner's web site for the demo, on its own origin: a council page embedding the booking
widget twice (the public masterclass, and the reunion opened through an invitation link).

    python -m devtools.partner_site [--port 8080] [--bookings-url http://127.0.0.1:8002]

At start it registers the demo partner in bookings (key `pk_demo_partner_site`, origins
http://127.0.0.1:8080 and http://localhost:8080), unless `--no-register`. Besides the demo
page at `/`, `/embed?event=<id or slug>&partner=<key>[&event=...][&hostile=1]` embeds any
events with any key: the browser tests use it, and it is handy for trying a partner key.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from services.bookings.persistence import partners as partner_store
from services.bookings.persistence import widget_lookups
from services.bookings.settings import BookingsSettings
from shared.db import Database, make_engine
from shared.invitations import sign_invitation

DEMO_KEY = "pk_demo_partner_site"
DEMO_NAME = "Demo partner site (Trafford Council)"
MASTERCLASS = "adaptive-leadership-masterclass"
REUNION = "reunion-and-reflection"
GUEST = "reunion.guest@example.org"
DEMO_CAMPAIGN = uuid.UUID("00000000-0000-4000-8000-00000000de70")

PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/partner.css">{hostile}
<script src="{bookings}/widget.js" defer></script>
</head>
<body>
<header><p class="brand">Trafford Council</p></header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""
PARTNER_CSS = """
body { margin: 0; font: 17px/1.6 Georgia, serif; color: #222; background: #fbfaf7; }
header { background: #4b2a6b; color: #fff; padding: .8rem 1.5rem; }
.brand { margin: 0; font-weight: bold; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
/* The widget's theme: custom properties are the one thing that crosses into it. */
.booking { --gm-accent: #4b2a6b; --gm-link: #4b2a6b; --gm-font: Georgia, serif; margin: 0 0 2rem; }
"""
# What a careless partner stylesheet might do; the widget must look the same with it.
HOSTILE_CSS = """
div { color: #d00 !important; font: italic 30px/3 "Comic Sans MS", cursive !important;
  padding: 40px; background: #ff0; letter-spacing: 4px; text-transform: uppercase; }
input { border: 6px dashed #f0f !important; background: #0f0 !important; font-size: 40px; }
button { background: #f00 !important; color: #0f0 !important; border-radius: 0 !important;
  font-size: 50px !important; padding: 30px !important; }
* { box-sizing: content-box; }
"""


def _widget(event: str, key: str, heading: int = 2) -> str:
    return (
        f'<div class="booking" data-gm-event="{html.escape(event)}" '
        f'data-gm-partner="{html.escape(key)}" data-gm-heading="{heading}"></div>'
    )


def _settings() -> BookingsSettings:
    return BookingsSettings(database_url=os.environ.get("BOOKINGS_DATABASE_URL", ""))


async def _with_db(work):  # type: ignore[no-untyped-def]
    settings = _settings()
    db = Database(make_engine(settings.database_url, pool_size=1), producer="partner-site")
    try:
        async with db.unit_of_work() as uow:
            result = await work(uow)
            await uow.commit()
            return result
    finally:
        await db.dispose()


async def register_demo_partner(port: int) -> None:
    """The demo partner, with this site's two spellings of its origin (idempotent)."""
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    async def work(uow):  # type: ignore[no-untyped-def]
        found = await partner_store.by_key(uow, DEMO_KEY)
        now = datetime.now(UTC)
        if found is None:
            partner = partner_store.Partner(
                uuid.uuid4(), DEMO_NAME, DEMO_KEY, origins, True, now, now
            )
            await partner_store.add(uow, partner)
        else:
            merged = sorted({*found.allowed_origins, *origins})
            await partner_store.update(
                uow, found.id, allowed_origins=merged, active=True, updated_at=now
            )

    await _with_db(work)


_reunion_id: list[uuid.UUID] = []


def reunion_invitation() -> str | None:
    """A signed invitation to the reunion for the demo guest, as a campaign would send."""
    if not _reunion_id:
        found = asyncio.run(_with_db(lambda uow: widget_lookups.event_id_by_slug(uow, REUNION)))
        if found is None:
            return None
        _reunion_id.append(found)
    event_id = _reunion_id[0]
    key = _settings().invitation_signing_key.get_secret_value()
    return sign_invitation(key, event_id=event_id, email=GUEST, campaign_id=DEMO_CAMPAIGN)


class PartnerSite(BaseHTTPRequestHandler):
    bookings_url = "http://127.0.0.1:8002"
    server_version = "PartnerSite/1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/":
            self._demo(query)
        elif url.path == "/embed":
            events = query.get("event", [])
            key = query.get("partner", [""])[0]
            body = "\n".join(_widget(e, key) for e in events)
            self._html("Book a place", body, hostile="hostile" in query)
        elif url.path in ("/partner.css", "/hostile.css"):
            css = PARTNER_CSS if url.path == "/partner.css" else HOSTILE_CSS
            self._send(200, "text/css; charset=utf-8", css.encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found")

    def _demo(self, query: dict[str, list[str]]) -> None:
        if "invitation" not in query:
            token = reunion_invitation()
            if token is not None:
                # As if the guest had followed the link in their campaign email.
                self.send_response(302)
                self.send_header("Location", "/?" + urlencode({"invitation": token}))
                self.end_headers()
                return
        reunion = (
            f"<h2>Reunion and Reflection</h2><p>You were invited as {GUEST}: your address is "
            "filled in from your invitation link.</p>" + _widget(REUNION, DEMO_KEY, heading=3)
            if "invitation" in query
            else "<p>The reunion appears here once the demo programme includes it.</p>"
        )
        body = (
            "<p>Leaders from every sector can book the programme's free events here.</p>"
            f"<h2>Masterclass</h2>{_widget(MASTERCLASS, DEMO_KEY, heading=3)}{reunion}"
        )
        self._html("Leadership events", body)

    def _html(self, title: str, body: str, *, hostile: bool = False) -> None:
        page = PAGE.format(
            title=html.escape(title),
            body=body,
            bookings=html.escape(self.bookings_url),
            hostile='\n<link rel="stylesheet" href="/hostile.css">' if hostile else "",
        )
        # A strict policy of the partner's own: the widget must work under one.
        policy = (
            f"default-src 'self'; script-src 'self' {self.bookings_url}; "
            f"connect-src {self.bookings_url}; style-src 'self'; img-src 'self' data:"
        )
        self._send(
            200, "text/html; charset=utf-8", page.encode(), {"Content-Security-Policy": policy}
        )

    def _send(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # invitation tokens carry an address: keep request lines out of the output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bookings-url", default="http://127.0.0.1:8002")
    parser.add_argument("--no-register", action="store_true")
    args = parser.parse_args()
    if not args.no_register:
        asyncio.run(register_demo_partner(args.port))
    PartnerSite.bookings_url = args.bookings_url.rstrip("/")
    server = ThreadingHTTPServer((args.host, args.port), PartnerSite)
    print(f"partner demo page: http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
