"""A campaign's email is rendered once and personalised by substitution: each invitee's copy
must be exactly what the template renders for that invitee."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.composing.campaign_mail import CampaignFacts, CampaignMail
from services.notifications.composing.contexts import SAMPLE_EVENT, display_name, event_context
from services.notifications.composing.rendering import render
from services.notifications.settings import NotificationsSettings


@pytest.mark.parametrize("template", ["invitation", "announcement"])
@pytest.mark.parametrize("name", ["Sam Leader", '<b>Zoë</b> & "O\'Brien"', ""])
def test_each_copy_is_what_the_template_renders_for_that_invitee(template: str, name: str) -> None:
    settings = NotificationsSettings()
    facts = CampaignFacts(
        uuid.uuid4(),
        SAMPLE_EVENT.event_id,
        template,
        "Come & see <us>",
        "First paragraph.\n\nSecond, with <tags> & ampersands.",
        datetime.now(UTC) + timedelta(days=9),
        "corr-1",
    )
    mail = CampaignMail(facts, SAMPLE_EVENT, settings)
    email = "ann.leader@example.org"
    copy = mail.personal(email, name)
    direct = render(
        template,
        subject=mail.subject,
        programme_name=settings.programme_name,
        event=event_context(SAMPLE_EVENT),
        invitee={"name": display_name(name) or "colleague"},
        booking_url=mail.booking_url(email),
        unsubscribe_url=mail.unsubscribe_url(email),
        decline_url=mail.decline_url(email),
        message_paragraphs=["First paragraph.", "Second, with <tags> & ampersands."],
    )
    assert (copy.text, copy.html) == (direct.text, direct.html)
    assert "\ue000" not in copy.text + copy.html
