"""QR codes of check-in links (segno encodes them): a PNG for email clients, which rarely show
SVG, and an SVG for web pages. Medium error correction survives a crease or a cracked screen."""

from __future__ import annotations

import io
import struct
import zlib

import segno

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _make(text: str) -> segno.QRCode:
    # A fixed mask: every mask is valid (a reader learns it from the code's format bits), and
    # segno's search for the best one costs about 6 ms a code, paid by every confirmation.
    return segno.make(text, error="m", micro=False, mask=0)


def png(text: str, *, scale: int = 6, border: int = 4) -> bytes:
    """A 1-bit greyscale PNG of the code, written here from segno's matrix with zlib: segno's
    own pure-Python writer costs about 3.5 ms a code where this costs a tenth of it, and every
    confirmation carries one (with both, notifications' CPU per booking in the
    confirmation-latency bench went from 5.8 to 13.5 ms)."""
    matrix = _make(text).matrix
    width = (len(matrix) + 2 * border) * scale
    light, dark = "1" * scale, "0" * scale  # a module's pixels; in a 1-bit PNG 1 is white
    edge = light * border
    light_row = _row("1" * width)
    rows = [light_row] * (border * scale)
    for modules in matrix:
        line = _row(edge + "".join(dark if m else light for m in modules) + edge)
        rows.extend([line] * scale)
    rows.extend([light_row] * (border * scale))
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            # Level 6, not 9: on these long runs of identical rows 9 costs twice the CPU
            # (0.21 against 0.11 ms a code) for a PNG a few bytes larger (503 against 498).
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 6)),
            _chunk(b"IEND", b""),
        )
    )


def svg(text: str, *, scale: int = 6, title: str = "Check-in code") -> str:
    out = io.BytesIO()
    _make(text).save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, title=title)
    return out.getvalue().decode()


def _row(bits: str) -> bytes:
    """One scanline: filter byte 0, then the pixels eight to a byte, the last one padded."""
    bits += "1" * (-len(bits) % 8)
    return b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
