"""Routing table: which function handles each message the console consumes."""

from __future__ import annotations

from collections.abc import Sequence

from services.console.handlers.audit import record_from
from services.console.privacy.handlers import privacy_answer_handlers
from services.console.settings import ConsoleSettings
from shared.messaging.handlers import transactional_table
from shared.messaging.queues import CONSOLE_PRIVACY_ANSWERS, CONSOLE_STAFF_ACTIONS
from shared.runtime import ConsumerSpec, Runtime

STAFF_ACTION_HANDLERS = {
    f"{source}.staff_action.recorded": record_from(source)
    for source in ("catalogue", "bookings", "notifications")
}


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    settings = runtime.settings
    assert isinstance(settings, ConsoleSettings)
    return [
        ConsumerSpec(
            CONSOLE_STAFF_ACTIONS,
            transactional_table(runtime.db, CONSOLE_STAFF_ACTIONS.queue, STAFF_ACTION_HANDLERS),
        ),
        ConsumerSpec(
            CONSOLE_PRIVACY_ANSWERS,
            transactional_table(
                runtime.db, CONSOLE_PRIVACY_ANSWERS.queue, privacy_answer_handlers(settings)
            ),
        ),
    ]
