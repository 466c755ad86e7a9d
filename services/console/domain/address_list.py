"""Extra addresses for a campaign, pasted (one per line, or separated by commas or semicolons)
or uploaded (a CSV or text file: every cell that looks like an address). Each kept once, in
the order given; a cell that is not an address is reported with its line, never dropped
silently. Notifications checks each address again (its 422 names the one refused)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

MAX_ADDRESSES = 20_000
MAX_UPLOAD_BYTES = 2_000_000
_SEPARATORS = re.compile(r"[,;\t]")
_LOOKS_LIKE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


@dataclass
class Addresses:
    emails: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, cell: str, where: str) -> None:
        text = cell.strip().strip("<>").strip()
        if not text:
            return
        if not _LOOKS_LIKE.match(text):
            if len(self.problems) < 20:
                self.problems.append(f"{where}: not an email address")
            return
        if text.lower() not in self._seen:
            self._seen.add(text.lower())
            self.emails.append(text)


def pasted(text: str, into: Addresses | None = None) -> Addresses:
    found = into or Addresses()
    for number, line in enumerate(text.splitlines(), start=1):
        for cell in _SEPARATORS.split(line):
            found.add(cell, f"line {number}")
    return found


def uploaded(raw: bytes, into: Addresses | None = None) -> Addresses:
    """A CSV (or plain list) file: cells with an @ are addresses; a header row is skipped."""
    found = into or Addresses()
    if len(raw) > MAX_UPLOAD_BYTES:
        found.problems.append(f"the file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")
        return found
    text = raw.decode("utf-8-sig", errors="replace")
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for cell in row:
            if "@" in cell:
                found.add(cell, f"file line {number}")
    return found


def too_many(found: Addresses) -> bool:
    return len(found.emails) > MAX_ADDRESSES
