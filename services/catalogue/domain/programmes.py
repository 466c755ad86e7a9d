"""Programmes and their leadership expectations (the tags events are given)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.errors import Conflict, Invalid


@dataclass(frozen=True)
class Expectation:
    code: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Programme:
    id: uuid.UUID
    slug: str
    name: str
    description: str = ""
    expectations: tuple[Expectation, ...] = ()
    # The privacy notice shown where a booking collects dietary and access needs, and the
    # version of it recorded with each booking (with the consent to future contact).
    privacy_notice_url: str = ""
    privacy_notice_version: str = ""

    def expectation_names(self, codes: Iterable[str]) -> list[str]:
        names = {e.code: e.name for e in self.expectations}
        return [names[code] for code in codes if code in names]


def check_expectations(expectations: Sequence[Expectation]) -> None:
    seen: set[str] = set()
    for i, expectation in enumerate(expectations):
        if expectation.code in seen:
            raise Invalid(f"expectations.{i}.code", f"'{expectation.code}' appears twice")
        seen.add(expectation.code)


def check_removal(old: Programme, new: Programme, codes_in_use: set[str]) -> None:
    """An expectation events are tagged with cannot disappear from under them."""
    kept = {e.code for e in new.expectations}
    gone = sorted(codes_in_use - kept)
    if gone:
        raise Conflict(
            f"events are tagged with {', '.join(gone)}: untag them first",
            code="expectation_in_use",
            expectations=gone,
        )
