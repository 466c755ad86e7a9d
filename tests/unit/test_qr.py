"""The check-in code's PNG, written from segno's matrix: every pixel is its module's colour,
with a light border (a reader needs the quiet zone), and the file is a well-formed PNG."""

from __future__ import annotations

import random
import string
import struct
import zlib

import pytest
import segno

from shared import qr

LINK = "https://console.example.org/checkin/t/4c1d8a3e-0b5e-4f7e-9a51-8f1f1b6f8e2a.c2lnbmF0dXJl"


def _chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found[kind] = found.get(kind, b"") + body
        at += 12 + length
    return found


def _pixels(data: bytes) -> list[list[int]]:
    chunks = _chunks(data)
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (1, 0) and width == height and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + (width + 7) // 8
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0  # no filter
        bits = "".join(f"{byte:08b}" for byte in line[1:])[:width]
        rows.append([int(b) for b in bits])
    return rows


@pytest.mark.parametrize("scale", [3, 6, 8, 16])
def test_each_pixel_is_its_modules_colour_inside_a_light_border(scale: int) -> None:
    border = 4
    matrix = segno.make(LINK, error="m", micro=False, mask=0).matrix
    pixels = _pixels(qr.png(LINK, scale=scale, border=border))
    size = len(matrix) + 2 * border
    assert len(pixels) == size * scale
    for y, row in enumerate(pixels):
        for x, white in enumerate(row):
            my, mx = y // scale - border, x // scale - border
            inside = 0 <= my < len(matrix) and 0 <= mx < len(matrix)
            dark = bool(matrix[my][mx]) if inside else False
            assert white == (0 if dark else 1), (x, y)


def test_the_code_holds_the_link_at_medium_error_correction() -> None:
    code = segno.make(LINK, error="m", micro=False, mask=0)
    assert code.designator.endswith("-M") and code.mask == 0
    assert qr.png(LINK) == qr.png(LINK)  # stable: the same email composed twice is the same
    svg = qr.svg(LINK, title="Your code")
    assert svg.startswith("<svg") and "<title>Your code</title>" in svg


def test_the_fast_matrix_is_segnos_for_every_length_and_level() -> None:
    """`qr.matrix` builds byte-mode codes itself: module for module what segno makes, from
    version 1 to 17, at every error level segno's boost reaches (M, Q, H), and for the texts it
    leaves to segno (alphanumeric, non-ASCII)."""
    rnd = random.Random(19)
    alphabet = string.ascii_letters + string.digits + "/:.-_?=&%~"
    texts = [LINK, "HTTPS://UPPER.EXAMPLE/ONLY", "https://console.example.org/checkin/t/é"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(n)) for n in range(1, 400, 3)]
    levels = set()
    for text in texts:
        expected = segno.make(text, error="m", micro=False, mask=0)
        levels.add(expected.error)
        assert [bytes(row) for row in qr.matrix(text)] == [bytes(r) for r in expected.matrix], text
    assert levels == {"M", "Q", "H"}
