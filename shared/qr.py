"""QR codes of check-in links (segno, pure Python): a PNG for email clients, which rarely show
SVG, and an SVG for web pages. Medium error correction survives a crease or a cracked screen."""

from __future__ import annotations

import io

import segno


def png(text: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg(text: str, *, scale: int = 6, title: str = "Check-in code") -> str:
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, title=title
    )
    return out.getvalue().decode()
