"""People who facilitate or speak at events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str
    title: str = ""
    organisation: str = ""
