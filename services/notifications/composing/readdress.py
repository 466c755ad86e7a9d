"""A stored email sent again: the same message with a new Message-ID, and a new address when
staff corrected it (the display name kept; nothing typed reaches a header unchecked)."""

from __future__ import annotations

import email
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage


def readdressed(raw: bytes, *, to_email: str | None, message_id: str) -> bytes:
    message = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert isinstance(message, EmailMessage)
    if to_email is not None:
        old = message["To"]
        name = old.addresses[0].display_name if old is not None and old.addresses else ""
        del message["To"]
        local, _, domain = to_email.rpartition("@")
        message["To"] = Address(display_name=name, username=local, domain=domain)
    del message["Message-ID"]
    message["Message-ID"] = message_id
    return message.as_bytes()
