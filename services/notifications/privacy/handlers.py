"""Notifications answers privacy requests (export, erase) and sends an export's link."""

from __future__ import annotations

from services.notifications.handlers.queueing import MailingHandler, Send, queue_email
from services.notifications.privacy import export_mail, records
from services.notifications.settings import NotificationsSettings
from shared.contracts.privacy import PrivacyExportReady, PrivacyRequested
from shared.db import UnitOfWork
from shared.logging import current_correlation_id
from shared.messaging.handlers import TransactionalHandler
from shared.privacy.answering import Records, privacy_table
from shared.privacy.outbox import scrub_published


async def export(uow: UnitOfWork, request: PrivacyRequested) -> Records:
    return await records.export(uow, request.email)


async def erase(uow: UnitOfWork, request: PrivacyRequested) -> dict[str, int]:
    counts = await records.erase(uow, request)
    counts["outbox_messages"] = await scrub_published(uow, request.email)
    return counts


def privacy_handlers() -> dict[str, TransactionalHandler]:
    return privacy_table("notifications", export=export, erase=erase)


def privacy_mailing_handlers(settings: NotificationsSettings) -> dict[str, MailingHandler]:
    async def send_export_link(ready: PrivacyExportReady, uow: UnitOfWork, *, send: Send) -> None:
        composed = export_mail.compose_export_mail(ready, settings, current_correlation_id())
        await queue_email(
            uow,
            composed,
            dedupe_key=export_mail.dedupe_key(ready.request_id),
            kind=export_mail.KIND,
            recipient=ready.email,
            send=send,
            # The person asked for it: never held back by the hourly cap.
            hourly_cap=0,
        )

    return {"console.privacy.export_ready": send_export_link}
