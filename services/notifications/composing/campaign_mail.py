"""A campaign's email, rendered once and personalised per invitee by substitution.

Jinja renders the template a single time with placeholder values for the invitee's name and
links; per invitee the placeholders are replaced (HTML-escaped in the HTML part) and the MIME
message is written by `FastMime`. The result is the same email the template would give for
that invitee, at a few tens of microseconds instead of milliseconds.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from markupsafe import escape

from services.notifications.composing.contexts import display_name, event_context
from services.notifications.composing.mime import FastMime, domain_of
from services.notifications.composing.rendering import render
from services.notifications.domain.answers import DeclineSigner
from services.notifications.domain.emails import clean_header
from services.notifications.domain.unsubscribe import UnsubscribeSigner
from services.notifications.settings import NotificationsSettings
from shared.contracts import EventState
from shared.invitations import InvitationSigner

# Private-use characters: nothing a template or an event title would contain, and untouched by
# HTML escaping.
_NAME, _BOOK, _UNSUB = "\ue000n\ue001", "\ue000b\ue001", "\ue000u\ue001"
_DECLINE = "\ue000d\ue001"
_PLACEHOLDER = re.compile("(\ue000[nbud]\ue001)")


class _Filled:
    """A rendered part cut at its placeholders once, so each invitee's copy is one join
    instead of four `str.replace` passes over the whole text (~25 us an email)."""

    def __init__(self, rendered: str) -> None:
        self._parts = _PLACEHOLDER.split(rendered)  # placeholders at the odd indexes

    def __contains__(self, placeholder: str) -> bool:
        return placeholder in self._parts[1::2]

    def fill(self, values: dict[str, str]) -> str:
        parts = self._parts.copy()
        for n in range(1, len(parts), 2):
            parts[n] = values[parts[n]]
        return "".join(parts)


@dataclass(frozen=True)
class CampaignFacts:
    campaign_id: uuid.UUID
    event_id: uuid.UUID
    template: str
    subject: str
    message: str
    invitation_expires_at: datetime
    correlation_id: str | None


@dataclass(frozen=True)
class Personal:
    """One invitee's email, readable (for previews) and as MIME bytes."""

    subject: str
    text: str
    html: str
    booking_url: str
    unsubscribe_url: str


class CampaignMail:
    def __init__(
        self, facts: CampaignFacts, event: EventState, settings: NotificationsSettings
    ) -> None:
        self.facts = facts
        self._settings = settings
        self.subject = clean_header(facts.subject)
        paragraphs = [p.strip() for p in facts.message.split("\n\n") if p.strip()]
        content = render(
            facts.template,
            subject=self.subject,
            programme_name=settings.programme_name,
            event=event_context(event),
            invitee={"name": _NAME},
            booking_url=_BOOK,
            unsubscribe_url=_UNSUB,
            decline_url=_DECLINE,
            message_paragraphs=paragraphs,
        )
        self._text, self._html = _Filled(content.text), _Filled(content.html)
        # Signed only where the template shows it (announcements have no such link).
        self._with_decline = _DECLINE in self._text
        self._mime = FastMime(
            mail_from=settings.mail_from,
            subject=self.subject,
            correlation_id=facts.correlation_id,
            static=[("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
        )
        self._invitations = InvitationSigner(
            settings.invitation_signing_key.get_secret_value(),
            event_id=facts.event_id,
            campaign_id=facts.campaign_id,
            expires_at=facts.invitation_expires_at,
        )
        self._unsubscribes = UnsubscribeSigner(
            settings.unsubscribe_signing_key.get_secret_value(), facts.campaign_id
        )
        self._book_base = f"{settings.bookings_public_url.rstrip('/')}/book/{facts.event_id}"
        self._unsubscribe_base = f"{settings.public_base_url.rstrip('/')}/public/unsubscribe/"
        self._answer_base = f"{settings.public_base_url.rstrip('/')}/public/answers/"
        self._declines = DeclineSigner(
            settings.unsubscribe_signing_key.get_secret_value(),
            event_id=facts.event_id,
            campaign_id=facts.campaign_id,
        )
        self._domain = domain_of(settings.mail_from)

    def booking_url(self, email: str) -> str:
        """`{BOOKINGS_PUBLIC_URL}/book/{event_id}?invitation=<signed token>`."""
        return f"{self._book_base}?invitation={quote(self._invitations.sign(email), safe='')}"

    def unsubscribe_url(self, email: str) -> str:
        return self._unsubscribe_base + self._unsubscribes.sign(email)

    def decline_url(self, email: str) -> str:
        return self._answer_base + self._declines.sign(email)

    def personal(self, email: str, name: str) -> Personal:
        shown = display_name(name) or "colleague"
        book, unsub = self.booking_url(email), self.unsubscribe_url(email)
        decline = self.decline_url(email) if self._with_decline else ""
        values = {_NAME: shown, _BOOK: book, _UNSUB: unsub, _DECLINE: decline}
        text = self._text.fill(values)
        html = self._html.fill({key: str(escape(value)) for key, value in values.items()})
        return Personal(self.subject, text, html, book, unsub)

    def build(self, *, delivery_id: uuid.UUID, email: str, name: str) -> bytes:
        mail = self.personal(email, name)
        return self._mime.build(
            to_name=name,
            to_email=email,
            message_id=f"<{delivery_id}@{self._domain}>",
            text=mail.text,
            html=mail.html,
            headers=[("List-Unsubscribe", f"<{mail.unsubscribe_url}>")],
        )
