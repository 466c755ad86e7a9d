"""Unit tests of the rules and the composing code: no database, broker or SMTP."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest

from services.notifications.composing.campaign_mail import CampaignFacts, CampaignMail
from services.notifications.composing.contexts import (
    SAMPLE_BOOKING,
    SAMPLE_EVENT,
    booking_context,
    choices_text,
    sample_context,
)
from services.notifications.composing.mime import base64_crlf, compose
from services.notifications.composing.rendering import TEMPLATE_NAMES, TEMPLATES, render
from services.notifications.domain import audience, campaigns, reminders
from services.notifications.domain.changes import what_changed
from services.notifications.domain.emails import (
    calendar_sequence,
    clean_header,
    dedupe_key,
    format_when,
    relative_time,
    subject,
)
from services.notifications.domain.outcomes import kind_of
from services.notifications.domain.unsubscribe import (
    InvalidUnsubscribe,
    sign_unsubscribe,
    verify_unsubscribe,
)
from services.notifications.sending.ratelimit import TokenBucket
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingChoice, EventSession
from shared.errors import Conflict


def test_headers_cannot_carry_line_breaks() -> None:
    assert clean_header("Hello\r\nBcc: victim@example.org") == "Hello Bcc: victim@example.org"
    assert "\n" not in subject("confirmation", title="Evil\nTitle")


def test_base64_lines_are_what_the_standard_library_writes() -> None:
    for size in (0, 1, 2, 56, 57, 58, 113, 114, 171, 3697, 10_000):
        data = os.urandom(size)
        assert base64_crlf(data) == base64.encodebytes(data).replace(b"\n", b"\r\n"), size


def test_dedupe_key_is_per_booking_kind_and_version() -> None:
    booking = uuid.uuid4()
    assert dedupe_key(booking, "confirmation", 1) == dedupe_key(booking, "confirmation", 1)
    assert dedupe_key(booking, "confirmation", 1) != dedupe_key(booking, "confirmation", 2)
    assert dedupe_key(booking, "confirmation", 1) != dedupe_key(booking, "waitlisted", 1)


def test_calendar_sequence_grows_with_either_version() -> None:
    assert calendar_sequence(2, 1) > calendar_sequence(1, 1)
    assert calendar_sequence(1, 2) > calendar_sequence(1, 1)


def test_times_are_shown_in_the_events_zone() -> None:
    summer = format_when(
        datetime(2027, 6, 22, 8, 30, tzinfo=UTC),
        datetime(2027, 6, 22, 15, 30, tzinfo=UTC),
        "Europe/London",
    )
    assert summer == "Tuesday 22 June 2027, 09:30–16:30 (BST)"
    assert relative_time(timedelta(days=1)) == "tomorrow"
    assert relative_time(timedelta(days=7)) == "in 7 days"


def test_html_is_escaped_and_text_is_not_mangled() -> None:
    context = sample_context("confirmation")
    context["booking"] = {**context["booking"], "name": "<script>alert(1)</script>"}
    context["event"] = {**context["event"], "title": "Tom & Jerry's day"}
    rendered = render("confirmation", subject="s", programme_name="Programme", **context)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "Tom &amp; Jerry" in rendered.html
    assert "Tom & Jerry's day" in rendered.text and "<script>alert(1)</script>" in rendered.text


def test_the_template_list_names_every_template_on_disk() -> None:
    on_disk = {p.stem for p in TEMPLATES.glob("*.txt") if not p.stem.startswith("_")}
    assert on_disk - {"base"} == set(TEMPLATE_NAMES)
    assert "manage_link" in TEMPLATE_NAMES


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_template_renders_with_sample_data(name: str) -> None:
    rendered = render(name, subject="S", programme_name="Programme", **sample_context(name))
    assert "Programme" in rendered.text and "Programme" in rendered.html


def test_audience_dedupes_case_insensitively_and_says_who_is_left_out_and_why() -> None:
    members = [
        campaigns.Invitee("Ann@Example.org", "Ann"),
        campaigns.Invitee("bob@example.org", "Bob"),
        campaigns.Invitee("dee@example.org", "Dee"),
        campaigns.Invitee("eve@example.org", "Eve"),
    ]
    people = audience.candidates(
        members, [" ann@example.org ", "cy@example.org", "BOB@example.org"]
    )
    facts = audience.Facts(
        opted_out={"bob@example.org", "eve@example.org"},
        booked={"dee@example.org"},
        suppressed={"eve@example.org"},  # both: the bounce is named, staff can act on it
    )
    resolved = audience.resolve(audience.INVITATION, people, facts)
    assert [(i.email, i.name) for i in resolved.invitees] == [
        ("Ann@Example.org", "Ann"),
        ("cy@example.org", ""),
    ]
    assert [(e.email, e.reason) for e in resolved.left_out] == [
        ("bob@example.org", audience.LeftOut.OPTED_OUT),
        ("dee@example.org", audience.LeftOut.BOOKED),
        ("eve@example.org", audience.LeftOut.SUPPRESSED),
    ]
    assert resolved.counts()["opted_out"] == 1 and resolved.counts()["declined"] == 0
    # An announcement to attendees ignores invitation opt-outs, never a bounce.
    told = audience.resolve(audience.ANNOUNCEMENT, people, facts)
    assert [e.email for e in told.left_out] == ["eve@example.org"]
    # Removed from the roster and not in the audience another way: named as such.
    gone = audience.off_roster(
        [campaigns.Invitee("fay@example.org", "Fay"), campaigns.Invitee("ANN@example.org", "")],
        people,
    )
    assert [(e.email, e.reason) for e in gone] == [("fay@example.org", "off_roster")]
    assert campaigns.chunk_ranges(5, 2) == [(0, 1), (2, 3), (4, 4)]
    assert campaigns.chunk_ranges(0, 2) == []


def test_a_follow_up_leaves_out_who_declined_booked_or_left_the_roster() -> None:
    people = [campaigns.Invitee(f"{n}@example.org", n) for n in ("a", "b", "c", "d")]
    facts = audience.Facts(
        declined={"a@example.org"}, booked={"b@example.org"}, off_roster={"c@example.org"}
    )
    resolved = audience.resolve(audience.FOLLOW_UP, people, facts)
    assert [i.email for i in resolved.invitees] == ["d@example.org"]
    assert {e.email: e.reason.value for e in resolved.left_out} == {
        "a@example.org": "declined",
        "b@example.org": "booked",
        "c@example.org": "off_roster",
    }


def test_campaign_transitions_refuse_what_the_status_does_not_allow() -> None:
    campaigns.check_transition("draft", "launch")
    campaigns.check_transition("paused", "resume")
    for status, action in [("running", "launch"), ("draft", "pause"), ("cancelled", "cancel")]:
        with pytest.raises(Conflict):
            campaigns.check_transition(status, action)


def test_reminders_never_late_never_for_cancelled() -> None:
    now = datetime(2030, 1, 1, 9, tzinfo=UTC)
    start = now + timedelta(days=2)
    grace = timedelta(minutes=30)
    decide = reminders.decide
    ok = {"booking_status": "confirmed", "event_status": "published", "event_start": start}
    assert decide(due_at=now - timedelta(minutes=5), now=now, grace=grace, **ok) == "send"
    assert decide(due_at=now - timedelta(hours=1), now=now, grace=grace, **ok) == "late"
    late_start = {**ok, "event_start": now}
    assert decide(due_at=now, now=now, grace=grace, **late_start) == "late"
    cancelled = {**ok, "booking_status": "cancelled"}
    assert decide(due_at=now, now=now, grace=grace, **cancelled) == "not_wanted"
    gone = {**ok, "event_status": "cancelled"}
    assert decide(due_at=now, now=now, grace=grace, **gone) == "not_wanted"
    offsets = [timedelta(days=7), timedelta(days=1)]
    event = SAMPLE_EVENT.model_copy(
        update={"sessions": [], "starts_at": start, "ends_at": start + timedelta(hours=6)}
    )
    due = reminders.due_times(event, offsets, now)
    assert [(d.session_id, d.offset) for d in due] == [(event.event_id, timedelta(days=1))]


def test_a_reminder_before_each_session_but_not_while_the_previous_one_runs() -> None:
    now = datetime(2030, 1, 1, 9, tzinfo=UTC)
    day = now + timedelta(days=10)

    def session(start: datetime) -> EventSession:
        return EventSession(
            session_id=uuid.uuid4(), title="", starts_at=start, ends_at=start + timedelta(hours=8)
        )

    # Immersion: day two three weeks after day one, listed first (order does not matter).
    immersion = [session(day + timedelta(days=21)), session(day)]
    event = SAMPLE_EVENT.model_copy(update={"sessions": immersion})
    offsets = [timedelta(days=7), timedelta(days=1)]
    due = reminders.due_times(event, offsets, now)
    assert [(d.session_id, d.offset) for d in due] == [
        (immersion[1].session_id, timedelta(days=7)),
        (immersion[1].session_id, timedelta(days=1)),
        (immersion[0].session_id, timedelta(days=7)),
        (immersion[0].session_id, timedelta(days=1)),
    ]
    assert due[3].due_at == immersion[0].starts_at - timedelta(days=1)
    # A two-day launch: day two's reminders would fall before day one ends: none for it.
    launch = [session(day), session(day + timedelta(days=1))]
    due = reminders.due_times(SAMPLE_EVENT.model_copy(update={"sessions": launch}), offsets, now)
    assert {d.session_id for d in due} == {launch[0].session_id}
    assert reminders.session_start(event, immersion[0].session_id) == immersion[0].starts_at
    assert reminders.session_start(event, uuid.uuid4()) is None


def test_only_time_and_venue_changes_are_news() -> None:
    later = SAMPLE_EVENT.model_copy(
        update={"starts_at": SAMPLE_EVENT.starts_at + timedelta(hours=1)}
    )
    assert what_changed(SAMPLE_EVENT, later) == ["the time"]
    assert what_changed(SAMPLE_EVENT, SAMPLE_EVENT.model_copy(update={"summary": "x"})) == []
    moved = SAMPLE_EVENT.model_copy(update={"venue": None})
    assert what_changed(SAMPLE_EVENT, moved) == ["the venue"]


def test_permanent_failures_are_5xx_about_this_email_only() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no", "a@b")])
    assert kind_of(refused) == "permanent"
    assert kind_of(aiosmtplib.SMTPDataError(554, "rejected")) == "permanent"
    assert kind_of(aiosmtplib.SMTPRecipientRefused(450, "busy", "a@b")) == "temporary"
    # The server away or refusing everyone: it is the server, not this email.
    assert kind_of(aiosmtplib.SMTPRecipientRefused(421, "closing", "a@b")) == "unavailable"
    assert kind_of(aiosmtplib.SMTPConnectError("refused")) == "unavailable"
    assert kind_of(aiosmtplib.SMTPServerDisconnected("gone")) == "unavailable"
    assert kind_of(aiosmtplib.SMTPSenderRefused(553, "no", "us@x")) == "unavailable"
    assert kind_of(UnicodeEncodeError("ascii", "é", 0, 1, "no")) == "unsendable"


def test_unsubscribe_tokens_verify_and_refuse_forgeries() -> None:
    cid = uuid.uuid4()
    token = sign_unsubscribe("k" * 32, email=" Ann@Example.org", campaign_id=cid)
    found = verify_unsubscribe("k" * 32, token)
    assert (found.email, found.campaign_id) == ("ann@example.org", cid)
    with pytest.raises(InvalidUnsubscribe):
        verify_unsubscribe("other" * 8, token)


def _parse(raw: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    assert not parsed.defects and all(not p.defects for p in parsed.walk())
    return parsed


@pytest.mark.parametrize(
    "name", ["Sam Leader", "Zoë O'Brien, Jr.", "<script>x</script>", 'Ann "the" Leader\nBcc: x@y']
)
def test_fast_campaign_mime_parses_like_the_email_package_would(name: str) -> None:
    settings = NotificationsSettings()
    facts = CampaignFacts(
        uuid.uuid4(),
        SAMPLE_EVENT.event_id,
        "invitation",
        "Café — you're invited",
        "Hello.",
        datetime.now(UTC) + timedelta(days=9),
        "corr-1",
    )
    mail = CampaignMail(facts, SAMPLE_EVENT, settings)
    delivery = uuid.uuid4()
    parsed = _parse(mail.build(delivery_id=delivery, email="ann@example.org", name=name))
    assert parsed["To"].addresses[0].display_name == " ".join(name.split())
    assert parsed["To"].addresses[0].addr_spec == "ann@example.org"
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Café — you're invited"
    assert parsed["Message-ID"] == f"<{delivery}@leadinggm.example.org>"
    assert parsed["X-Correlation-ID"] == "corr-1"
    assert parsed["List-Unsubscribe"].startswith("<http://127.0.0.1:8003/public/unsubscribe/")
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    shown = " ".join(name.split())
    assert f"Dear {shown}," in text
    assert "<script>x" not in html and "Reunion and Reflection" in html


def test_transactional_mime_keeps_non_ascii_calendars_as_text() -> None:
    from services.notifications.composing.mime import CalendarPart

    raw = compose(
        message_id="<x@y>",
        mail_from="P <p@example.org>",
        to_name="Zoë",
        to_email="z@example.org",
        subject="Café",
        text="t",
        html="<p>h</p>",
        correlation_id="c",
        calendar=CalendarPart("REQUEST", "BEGIN:VCALENDAR\r\nSUMMARY:Café\r\nEND:VCALENDAR\r\n"),
    )
    parsed = _parse(raw)
    [calendar] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert "SUMMARY:Café" in calendar.get_content()


async def test_token_bucket_holds_the_rate() -> None:
    bucket = TokenBucket(200, burst=1)
    started = time.monotonic()
    await asyncio.gather(*(bucket.acquire() for _ in range(101)))
    elapsed = time.monotonic() - started
    assert 0.48 <= elapsed < 0.65  # 100 intervals of 5 ms after the first token


def test_fast_signers_make_exactly_the_tokens_of_the_reference_ones() -> None:
    from services.notifications.domain.unsubscribe import UnsubscribeSigner
    from shared.invitations import InvitationSigner, sign_invitation

    event, campaign = uuid.uuid4(), uuid.uuid4()
    expires = datetime.now(UTC) + timedelta(days=3, microseconds=123)
    fast = InvitationSigner("k" * 40, event_id=event, campaign_id=campaign, expires_at=expires)
    unsub = UnsubscribeSigner("u" * 40, campaign)
    for address in [" Ann@Example.org", "zoë@example.org", 'odd"quote@example.org']:
        reference = sign_invitation(
            "k" * 40, event_id=event, email=address, campaign_id=campaign, expires_at=expires
        )
        assert fast.sign(address) == reference
        assert unsub.sign(address) == sign_unsubscribe(
            "u" * 40, email=address, campaign_id=campaign
        )


def test_confirmation_and_change_emails_list_each_groups_choice() -> None:
    group_a, group_b = uuid.uuid4(), uuid.uuid4()
    walk = BookingChoice(
        group_id=group_a, group_name="Dinner", option_id=uuid.uuid4(), option_name="Canal walk"
    )
    morning = BookingChoice(
        group_id=group_b, group_name="Workshop", option_id=uuid.uuid4(), option_name="Morning"
    )
    afternoon = morning.model_copy(update={"option_id": uuid.uuid4(), "option_name": "Afternoon"})
    booking = SAMPLE_BOOKING.model_copy(update={"choices": [walk, afternoon]})
    context = sample_context("changed")
    context["booking"] = booking_context(
        booking, previous_option_name=choices_text([walk, morning], None)
    )
    for name in ("confirmation", "changed"):
        rendered = render(name, subject="s", programme_name="Programme", **context)
        for text in (rendered.text, rendered.html):
            assert "Dinner: Canal walk" in text and "Workshop: Afternoon" in text, name
    changed = render("changed", subject="s", programme_name="P", **context).text
    assert (
        "from Dinner: Canal walk; Workshop: Morning to Dinner: Canal walk; Workshop: Afternoon"
        in changed
    )
    # One unnamed group (an event from before groups) reads as before: the option alone.
    alone = BookingChoice(group_id=group_a, option_id=walk.option_id, option_name="Canal walk")
    assert choices_text([alone], None) == "Canal walk" and choices_text([], "Old") == "Old"
