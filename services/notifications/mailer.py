"""SMTP at the edge: builds the MIME message from a delivery row and hands it to the server."""

from __future__ import annotations

import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from services.notifications.domain.emails import clean_header
from services.notifications.settings import NotificationsSettings


def build_message(
    *,
    delivery_id: uuid.UUID,
    mail_from: str,
    recipient: str,
    recipient_name: str | None,
    subject: str,
    text: str,
    html: str,
    correlation_id: str | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = (
        formataddr((clean_header(recipient_name), recipient)) if recipient_name else recipient
    )
    message["Subject"] = clean_header(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = Address(addr_spec=_address_of(mail_from)).domain or "localhost"
    # Stable per delivery, so a mail server can recognise a resend of the same email.
    message["Message-ID"] = f"<{delivery_id}@{domain}>"
    if correlation_id:
        message["X-Correlation-ID"] = clean_header(correlation_id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _address_of(mail_from: str) -> str:
    return mail_from.rsplit("<", 1)[-1].rstrip(">").strip()


class Mailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> str:
        """Send; returns the server's answer. Raises aiosmtplib errors when it refuses."""
        _, answer = await aiosmtplib.send(
            message,
            hostname=self._settings.smtp_host,
            port=self._settings.smtp_port,
            timeout=self._settings.smtp_timeout,
            start_tls=False,
            use_tls=False,
        )
        return answer
