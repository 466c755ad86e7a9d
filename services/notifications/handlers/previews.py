"""Staff previews and test sends: any template with sample data, any campaign as one of its
invitees would get it. Test emails go through the same delivery rows and sender as the rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notifications.composing.booking_mail import (
    BookingEmail,
    Composed,
    compose_booking_email,
)
from services.notifications.composing.campaign_mail import CampaignFacts, CampaignMail
from services.notifications.composing.contexts import SAMPLE_BOOKING, SAMPLE_EVENT, sample_context
from services.notifications.composing.mime import domain_of
from services.notifications.composing.rendering import TEMPLATE_NAMES, render
from services.notifications.domain import emails
from services.notifications.domain.campaigns import Campaign
from services.notifications.handlers.campaign_work import facts
from services.notifications.handlers.queueing import Send, queue_email
from services.notifications.persistence import campaigns as campaign_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence import rosters
from services.notifications.settings import NotificationsSettings
from shared.contracts import Attendee
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, NotFound

# The subject and calendar each template gets when shown with sample data.
_SAMPLE = {
    "confirmation": BookingEmail("confirmation", calendar_method="REQUEST"),
    "waitlisted": BookingEmail("waitlisted"),
    "promoted": BookingEmail("promoted", calendar_method="REQUEST"),
    "changed": BookingEmail("changed", calendar_method="REQUEST"),
    "cancelled": BookingEmail("cancelled", calendar_method="CANCEL"),
    "event_changed": BookingEmail("event_changed", calendar_method="REQUEST"),
    "reminder": BookingEmail("reminder", relative="tomorrow"),
    "manage_link": BookingEmail("manage_link"),
}
_CAMPAIGN_TEMPLATES = ("invitation", "announcement")
assert set(_SAMPLE) | set(_CAMPAIGN_TEMPLATES) == set(TEMPLATE_NAMES), (
    "a template without sample data"
)


@dataclass(frozen=True)
class Preview:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def _sample_campaign(settings: NotificationsSettings, template: str) -> CampaignMail:
    sample = CampaignFacts(
        campaign_id=uuid.UUID(int=3),
        event_id=SAMPLE_EVENT.event_id,
        template=template,
        subject="You are invited: Reunion and Reflection",
        message="We would love to see you again.",
        invitation_expires_at=datetime.now(UTC) + timedelta(days=30),
        correlation_id=None,
    )
    return CampaignMail(sample, SAMPLE_EVENT, settings)


def _campaign_preview(mail: CampaignMail, email: str, name: str) -> Preview:
    personal = mail.personal(email, name)
    return Preview(
        to=email,
        subject=personal.subject,
        text=personal.text,
        html=personal.html,
        headers={
            "List-Unsubscribe": f"<{personal.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def template_preview(name: str, settings: NotificationsSettings) -> Preview:
    if name in _CAMPAIGN_TEMPLATES:
        mail = _sample_campaign(settings, name)
        return _campaign_preview(mail, "sam.leader@example.org", "Sam Leader")
    email = _SAMPLE[name]
    subject = emails.subject(
        email.subject_kind or email.kind, title=SAMPLE_EVENT.title, relative=email.relative
    )
    content = render(
        name, subject=subject, programme_name=settings.programme_name, **sample_context(name)
    )
    return Preview(SAMPLE_BOOKING.attendee.email, subject, content.text, content.html, {})


async def _queue_test(
    uow: UnitOfWork, composed: Composed, *, kind: str, email: str, send: Send
) -> uuid.UUID:
    delivery_id = await queue_email(
        uow,
        composed,
        send=send,
        dedupe_key=f"test:{uuid.uuid4()}",
        kind=kind,
        recipient=email,
        hourly_cap=0,  # staff test sends are not capped
    )
    assert delivery_id is not None
    return delivery_id


async def template_test(
    db: Database, name: str, email: str, settings: NotificationsSettings, *, send: Send
) -> uuid.UUID:
    """Queued with `send` (the caller calls `send.committed()`)."""
    if name in _CAMPAIGN_TEMPLATES:
        mail = _sample_campaign(settings, name)
        return await _send_campaign_test(db, mail, email, "", settings, send=send)
    booking = SAMPLE_BOOKING.model_copy(
        update={"attendee": Attendee(name="Test recipient", email=email)}
    )
    composed = compose_booking_email(
        _SAMPLE[name], booking=booking, event=SAMPLE_EVENT, settings=settings, correlation_id=None
    )
    async with db.unit_of_work() as uow:
        delivery_id = await _queue_test(uow, composed, kind=f"test:{name}", email=email, send=send)
        await uow.commit()
    return delivery_id


async def _send_campaign_test(
    db: Database,
    mail: CampaignMail,
    email: str,
    name: str,
    settings: NotificationsSettings,
    *,
    send: Send,
) -> uuid.UUID:
    delivery_id = uuid.uuid4()
    raw = mail.build(delivery_id=delivery_id, email=email, name=name)
    message_id = f"<{delivery_id}@{domain_of(settings.mail_from)}>"
    composed = Composed(delivery_id, mail.subject, raw, message_id)
    async with db.unit_of_work() as uow:
        result = await _queue_test(uow, composed, kind="test:invitation", email=email, send=send)
        await uow.commit()
    return result


async def _campaign_mail(
    db: Database, campaign_id: uuid.UUID, settings: NotificationsSettings
) -> tuple[Campaign, CampaignMail]:
    async with db.unit_of_work() as uow:
        campaign = await campaign_store.get(uow, campaign_id)
        if campaign is None:
            raise NotFound("no such campaign", code="campaign_not_found")
        event = await event_store.get(uow, campaign.event_id)
    if event is None:
        raise Conflict("the campaign's event is no longer known", code="event_unknown")
    if campaign.invitation_expires_at is None:
        # Not launched yet: show the links as they would be if it launched now.
        expiry = datetime.now(UTC) + settings.invitation_ttl
        campaign = Campaign(**{**campaign.__dict__, "invitation_expires_at": expiry})
    return campaign, CampaignMail(facts(campaign), event, settings)


async def _first_invitee(db: Database, campaign: Campaign) -> tuple[str, str]:
    async with db.unit_of_work() as uow:
        if campaign.recipients:
            first = await campaign_store.recipients(uow, campaign.id, 0, 0)
            if first:
                return first[0].email, first[0].name
        members = await rosters.members(uow, [uuid.UUID(c) for c in campaign.cohort_ids])
    if members:
        return members[0].email, members[0].name
    if campaign.emails:
        return campaign.emails[0], ""
    return "invitee@example.org", ""


async def campaign_preview(
    db: Database, campaign_id: uuid.UUID, email: str | None, settings: NotificationsSettings
) -> Preview:
    campaign, mail = await _campaign_mail(db, campaign_id, settings)
    if email is None:
        email, name = await _first_invitee(db, campaign)
    else:
        async with db.unit_of_work() as uow:
            name = await rosters.name_for(uow, email)
    return _campaign_preview(mail, email, name)


async def campaign_test(
    db: Database, campaign_id: uuid.UUID, email: str, settings: NotificationsSettings, *, send: Send
) -> uuid.UUID:
    """Queued with `send` (the caller calls `send.committed()`)."""
    _, mail = await _campaign_mail(db, campaign_id, settings)
    async with db.unit_of_work() as uow:
        name = await rosters.name_for(uow, email)
    return await _send_campaign_test(db, mail, email, name, settings, send=send)
