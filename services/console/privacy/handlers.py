"""Routing table for the services' answers to privacy requests."""

from __future__ import annotations

from functools import partial

from services.console.privacy import usecases
from services.console.settings import ConsoleSettings
from shared.contracts.privacy import ANSWERING_SERVICES
from shared.messaging.handlers import TransactionalHandler


def privacy_answer_handlers(settings: ConsoleSettings) -> dict[str, TransactionalHandler]:
    table: dict[str, TransactionalHandler] = {}
    for service in ANSWERING_SERVICES:
        table[f"{service}.privacy.exported"] = partial(usecases.record_export, settings=settings)
        table[f"{service}.privacy.erased"] = usecases.record_erasure
    return table
