"""QR codes of check-in links (segno encodes them): a PNG for email clients, which rarely show
SVG, and an SVG for web pages. Medium error correction survives a crease or a cracked screen."""

from __future__ import annotations

import io
import operator
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import segno
from segno import consts, encoder

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# A fixed mask: every mask is valid (a reader learns it from the code's format bits), and
# segno's search for the best one costs about 6 ms a code, paid by every confirmation.
_MASK = 0


def _make(text: str) -> segno.QRCode:
    return segno.make(text, error="m", micro=False, mask=_MASK)


def matrix(text: str) -> tuple[bytearray, ...]:
    """The code's modules (1 dark), exactly as segno makes them for `_make(text)`.

    A check-in link is ASCII with lower-case letters, which segno always encodes in byte mode;
    for such text the symbol is built here from a layout made once per version (segno's own
    function patterns, format and version information, and the order in which its placement
    fills the data modules), so a code costs its Reed-Solomon blocks (`_blocks`) and one
    gather of its bits into the layout: about a tenth of segno's 0.8 ms, which every
    confirmation paid (a pass over the set bits in Python, and segno's own Reed-Solomon
    division, had left 0.2-0.4 ms). Other text goes to segno; tests/unit/test_qr.py compares
    the two over many texts and versions."""
    data = text.encode("ascii") if text.isascii() else b""
    if not data or _ALPHANUMERIC.issuperset(text):
        return _make(text).matrix
    version, error = _byte_mode_version(len(data))
    layout = _layout(version, error)
    # Each module's message bit (0 for a function module: the index past the last bit),
    # gathered in one C-level call, then XORed onto the base symbol (masking is an XOR).
    bits = _final_message(version, error, data).encode("ascii").translate(_BIT_VALUES) + b"\0"
    placed = bytes(layout.gather(bits))
    size = len(layout.base)
    cells = bytearray(
        (int.from_bytes(layout.base, "big") ^ int.from_bytes(placed, "big")).to_bytes(size, "big")
    )
    width = layout.width
    return tuple(cells[row * width : (row + 1) * width] for row in range(width))


def png(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """A 1-bit greyscale PNG of the code, written here from segno's matrix with zlib: segno's
    own pure-Python writer costs about 3.5 ms a code where this costs a tenth of it, and every
    confirmation carries one (with both, notifications' CPU per booking in the
    confirmation-latency bench went from 5.8 to 13.5 ms). At a scale that is a multiple of 8
    (the default: the email shows the code at 200 px whatever its pixels) a module is whole
    bytes of a scanline, so each row is one `bytes.translate`; another scale spells each
    row's pixels out as bits (`_row`), about 100 µs more a code."""
    modules = matrix(text)
    width = (len(modules) + 2 * border) * scale
    scanlines = _bytewise if scale % 8 == 0 else _bitwise
    rows = scanlines(modules, scale, border, width)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            # Level 1: on these long runs of identical rows it costs a fraction of level 6's
            # CPU (19 against 108 µs at scale 6) for a PNG a few hundred bytes larger (906
            # against 679); level 9 cost 375 µs for 674 bytes.
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 1)),
            _chunk(b"IEND", b""),
        )
    )


def _bytewise(modules: tuple[bytearray, ...], scale: int, border: int, width: int) -> list[bytes]:
    """The scanlines (filter byte 0, then the pixels) when a module is `scale // 8` bytes."""
    span = scale // 8
    light, dark = b"\xff" * span, b"\x00" * span
    edge = light * border
    light_row = b"\x00" + b"\xff" * (width // 8)
    rows = [light_row] * (border * scale)
    for row in modules:
        pixels = bytes(row).translate(_MODULE_BYTES if span == 1 else _MODULE_LETTERS)
        if span > 1:
            pixels = pixels.replace(b"d", dark).replace(b"l", light)
        rows.extend([b"\x00" + edge + pixels + edge] * scale)
    rows.extend([light_row] * (border * scale))
    return rows


def _bitwise(modules: tuple[bytearray, ...], scale: int, border: int, width: int) -> list[bytes]:
    """The scanlines at any other scale: each row's pixels spelt out as bits (`_row`)."""
    light, dark = b"1" * scale, b"0" * scale  # a module's pixels; in a 1-bit PNG 1 is white
    edge = light * border
    light_row = _row(b"1" * width)
    rows = [light_row] * (border * scale)
    for row in modules:
        # Modules (1 dark) as placeholder letters, then each letter as its pixels.
        pixels = bytes(row).translate(_MODULE_LETTERS).replace(b"d", dark).replace(b"l", light)
        rows.extend([_row(edge + pixels + edge)] * scale)
    rows.extend([light_row] * (border * scale))
    return rows


def svg(text: str, *, scale: int = 6, title: str = "Check-in code") -> str:
    out = io.BytesIO()
    _make(text).save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, title=title)
    return out.getvalue().decode()


def _row(bits: bytes) -> bytes:
    """One scanline: filter byte 0, then the pixels (ASCII 0 and 1) eight to a byte, the
    last one padded."""
    bits += b"1" * (-len(bits) % 8)
    return b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")


# ASCII "0"/"1" to the byte values 0/1; module values 0/1 to the letters `png` expands.
_BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")
_MODULE_LETTERS = bytes.maketrans(b"\x00\x01", b"ld")
# Module values 0/1 to eight pixels of a scanline: light (bits 1), dark (bits 0).
_MODULE_BYTES = bytes.maketrans(b"\x00\x01", b"\xff\x00")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
# segno's tables: symbol capacity in bits, and the blocks, by version and level.
_CAPACITY = cast(dict[int, dict[int, int]], consts.SYMBOL_CAPACITY)
_ECC = cast(dict[int, dict[int, object]], consts.ECC)
_ERROR_M = consts.ERROR_LEVEL_M
_BOOSTS = (consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H)


def _byte_mode_version(length: int) -> tuple[int, int]:
    """segno's choice: the smallest version that holds the text at level M, then the highest
    error level that still fits that version (its `boost_error`)."""
    for version in range(1, 41):
        needed = 4 + (8 if version <= 9 else 16) + 8 * length
        if _CAPACITY[version][_ERROR_M] >= needed:
            error = _ERROR_M
            for level in _BOOSTS:
                if _CAPACITY[version][level] < needed:
                    break
                error = level
            return version, error
    raise ValueError("too long for a QR code")


def _final_message(version: int, error: int, data: bytes) -> str:
    """The interleaved data and error correction codewords as a string of bits (ISO/IEC
    18004 7.4 to 7.6), for byte mode; the remainder bits are zeros and left out."""
    capacity = _CAPACITY[version][error]
    count_bits = 8 if version <= 9 else 16
    bits = f"0100{len(data):0{count_bits}b}{int.from_bytes(data, 'big'):0{8 * len(data)}b}"
    bits += "0" * min(capacity - len(bits), 4)
    # As segno pads: to the next boundary, a whole zero codeword when already on one (which
    # becomes the first pad codeword, or is cut off when the data fills the symbol).
    bits += "0" * (8 - len(bits) % 8)
    codewords = int(bits, 2).to_bytes(len(bits) // 8, "big")[: capacity // 8]
    pad = capacity // 8 - len(codewords)
    codewords += (b"\xec\x11" * (pad // 2 + 1))[:pad]
    data_blocks, error_blocks = _blocks(version, error, codewords)
    interleaved = _interleaved(data_blocks) + _interleaved(error_blocks)
    return f"{int.from_bytes(interleaved, 'big'):0{len(interleaved) * 8}b}"


def _interleaved(blocks: list[bytes]) -> bytes:
    """Column by column: every block's first codeword, then every block's second, ...; a
    longer block's last codeword (the second group has one more) after the full columns.
    By slices: the same bytes as walking the columns, a fraction of the CPU."""
    count, short = len(blocks), min(len(block) for block in blocks)
    out = bytearray(count * short)
    for index, block in enumerate(blocks):
        out[index::count] = block[:short]
    return bytes(out) + bytes(block[short] for block in blocks if len(block) > short)


def _blocks(version: int, error: int, codewords: bytes) -> tuple[list[bytes], list[bytes]]:
    """segno's `make_blocks` (its blocks and its generator polynomials), with the division
    done as a shift register held in one integer: per data codeword one table look-up and
    an XOR, where segno XORs each error codeword in a Python loop (~0.1 ms of every code)."""
    data_blocks, error_blocks = [], []
    at = 0
    for ec_info in cast(list[Any], _ECC[version][error]):
        words = ec_info.num_total - ec_info.num_data
        table = _feedback_table(words)
        top, mask = 8 * (words - 1), (1 << (8 * words)) - 1
        for _ in range(ec_info.num_blocks):
            block = codewords[at : at + ec_info.num_data]
            at += ec_info.num_data
            remainder = 0
            for codeword in block:
                remainder = ((remainder << 8) & mask) ^ table[codeword ^ (remainder >> top)]
            data_blocks.append(block)
            error_blocks.append(remainder.to_bytes(words, "big"))
    return data_blocks, error_blocks


@lru_cache(maxsize=32)
def _feedback_table(words: int) -> tuple[int, ...]:
    """For each feedback byte, the generator polynomial times it (its `words` codewords after
    the leading 1, as one integer): what segno's synthetic division XORs in for that byte."""
    gen = consts.GEN_POLY[words]
    log, exp = cast(tuple[int, ...], consts.GALIOS_LOG), cast(tuple[int, ...], consts.GALIOS_EXP)
    rows = [0]
    for coef in range(1, 256):
        rows.append(int.from_bytes(bytes(exp[log[coef] + g] for g in gen), "big"))
    return tuple(rows)


@dataclass(frozen=True)
class _Layout:
    width: int
    # The finished symbol for an all-zero message: function patterns, format and version
    # information, and the mask over the data modules (row after row).
    base: bytes
    # For each module (index into `base`), the index of the message bit placed there, or
    # one past the last bit for a function module, as one call: `gather(bits + b"\0")`.
    gather: Callable[[bytes], tuple[int, ...]]


@lru_cache(maxsize=16)
def _layout(version: int, error: int) -> _Layout:
    """Built with segno's own steps (`encoder._encode`), once per version and level: its
    placement is run on the bits' indices instead of the bits, which records its order."""
    width = encoder.calc_matrix_size(version)
    grid = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(grid, width, width)
    encoder.add_alignment_patterns(grid, width, width)
    free = [(i, j) for i in range(width) for j in range(width) if grid[i][j] == 0x2]
    traced: tuple[list[object], ...] = tuple(list(row) for row in grid)
    encoder.add_codewords(traced, [(n,) for n in range(len(free))], version)
    order = sorted(
        (cell[0], i * width + j)
        for i, row in enumerate(traced)
        for j, cell in enumerate(row)
        if isinstance(cell, tuple)
    )
    for i, j in free:
        grid[i][j] = 0
    _, grid = encoder.find_and_apply_best_mask(grid, width, width, _MASK)
    encoder.add_format_info(grid, version, error, _MASK)
    encoder.add_version_info(grid, version)
    # The message's bits come first in the placement order; the remainder bits after them
    # (zeros, left out of the final message) and the function modules read the zero that
    # follows the last bit.
    total = _message_bits(version, error)
    source = [total] * (width * width)
    for n, (_, position) in enumerate(order):
        if n < total:
            source[position] = n
    return _Layout(width, b"".join(bytes(row) for row in grid), operator.itemgetter(*source))


def _message_bits(version: int, error: int) -> int:
    """Bits of the final message: every data and error codeword (remainder bits excluded)."""
    return 8 * sum(e.num_total * e.num_blocks for e in cast(list[Any], _ECC[version][error]))
