"""The one way a service answers privacy requests: its routing table for the privacy queue,
made from two plain functions (what it holds about an address; erase it). Each answer is
written to the outbox in the transaction of its effect, so a request is answered exactly when
its work is committed, and a service that was down answers when it comes back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.contracts.privacy import PrivacyErased, PrivacyExported, PrivacyRequested
from shared.db import UnitOfWork
from shared.logging import get_logger
from shared.messaging.handlers import TransactionalHandler

log = get_logger(__name__)

Records = dict[str, list[dict[str, Any]]]
Exporter = Callable[[UnitOfWork, PrivacyRequested], Awaitable[Records]]
Eraser = Callable[[UnitOfWork, PrivacyRequested], Awaitable[dict[str, int]]]


def privacy_table(
    service: str, *, export: Exporter, erase: Eraser
) -> dict[str, TransactionalHandler]:
    async def exported(request: PrivacyRequested, uow: UnitOfWork) -> None:
        records = await export(uow, request)
        uow.emit(
            f"{service}.privacy.exported",
            PrivacyExported(request_id=request.request_id, service=service, records=records),
        )
        log.info(
            "privacy.exported",
            request_id=str(request.request_id),
            records={kind: len(rows) for kind, rows in records.items()},
        )

    async def erased(request: PrivacyRequested, uow: UnitOfWork) -> None:
        counts = await erase(uow, request)
        uow.emit(
            f"{service}.privacy.erased",
            PrivacyErased(request_id=request.request_id, service=service, counts=counts),
        )
        log.info("privacy.erased", request_id=str(request.request_id), counts=counts)

    return {
        "console.privacy.export_requested": exported,
        "console.privacy.erasure_requested": erased,
    }


def plain(row: Any) -> dict[str, Any]:
    """A database row as JSON-ready values (ids and times as text)."""
    out: dict[str, Any] = {}
    for key, value in dict(row._mapping).items():
        if value is None or isinstance(value, (str, int, float, bool, list, dict)):
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out
