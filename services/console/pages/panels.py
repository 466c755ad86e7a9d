"""Panels that each read one service and fail alone: a panel whose service is away says so,
and the rest of the page still shows."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.console.clients.base import ServiceRefused, ServiceUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class Panel(Generic[T]):
    data: T | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


async def panel(call: Awaitable[T]) -> Panel[T]:
    try:
        return Panel(await call)
    except ServiceUnavailable as exc:
        return Panel(None, f"The {exc.service} service is unavailable just now.")
    except ServiceRefused as exc:
        return Panel(None, exc.detail)


def by_id(items: list[Any], key: str = "id") -> dict[str, Any]:
    return {str(item[key]): item for item in items}
