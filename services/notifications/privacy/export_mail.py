"""The email that carries an export's download link to the person it is about."""

from __future__ import annotations

import html
import uuid

from services.notifications.composing.booking_mail import Composed
from services.notifications.composing.mime import compose, message_id_for
from services.notifications.settings import NotificationsSettings
from shared.contracts.privacy import PrivacyExportReady

KIND = "privacy_export"


def dedupe_key(request_id: uuid.UUID) -> str:
    return f"privacy-export:{request_id}"


def compose_export_mail(
    ready: PrivacyExportReady, settings: NotificationsSettings, correlation_id: str | None
) -> Composed:
    delivery_id = uuid.uuid4()
    subject = f"{settings.programme_name}: the data we hold about you"
    until = ready.expires_at.strftime("%d %B %Y, %H:%M UTC")
    text = (
        "You (or programme staff on your behalf) asked for a copy of everything the programme "
        "holds about this address.\n\n"
        f"Download it here (the link works until {until}):\n{ready.download_url}\n\n"
        "If you did not expect this email, you can ignore it.\n"
    )
    link = html.escape(ready.download_url, quote=True)
    page = (
        "<p>You (or programme staff on your behalf) asked for a copy of everything the "
        "programme holds about this address.</p>"
        f'<p><a href="{link}">Download your data</a> (the link works until '
        f"{html.escape(until)}).</p><p>If you did not expect this email, you can ignore it.</p>"
    )
    message_id = message_id_for(delivery_id, settings.mail_from)
    raw = compose(
        message_id=message_id,
        mail_from=settings.mail_from,
        to_name=None,
        to_email=ready.email,
        subject=subject,
        text=text,
        html=page,
        correlation_id=correlation_id,
    )
    return Composed(delivery_id, subject, raw, message_id)
