"""CSV cells a spreadsheet will not run: a cell that starts like a formula gets a leading
quote (the text stays whole, so "+44 161..." is still readable), line breaks are flattened."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    flat = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return "'" + flat if flat.startswith(_FORMULA_START) else flat
