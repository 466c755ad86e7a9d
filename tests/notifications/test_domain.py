from datetime import UTC, datetime

from services.notifications.composing.rendering import render
from services.notifications.domain.emails import clean_header, dedupe_key, format_when, subject


def test_headers_cannot_carry_line_breaks() -> None:
    assert clean_header("Hello\r\nBcc: victim@example.org") == "Hello Bcc: victim@example.org"
    assert "\n" not in subject("confirmation", title="Evil\nTitle")


def test_dedupe_key_is_per_booking_kind_and_version() -> None:
    import uuid

    booking = uuid.uuid4()
    assert dedupe_key(booking, "confirmation", 1) == dedupe_key(booking, "confirmation", 1)
    assert dedupe_key(booking, "confirmation", 1) != dedupe_key(booking, "confirmation", 2)
    assert dedupe_key(booking, "confirmation", 1) != dedupe_key(booking, "waitlisted", 1)


def test_times_are_shown_in_the_events_zone() -> None:
    summer = format_when(
        datetime(2027, 6, 22, 8, 30, tzinfo=UTC),
        datetime(2027, 6, 22, 15, 30, tzinfo=UTC),
        "Europe/London",
    )
    assert summer == "Tuesday 22 June 2027, 09:30–16:30 (BST)"


def test_html_is_escaped_and_text_is_not_mangled() -> None:
    email = render(
        "confirmation",
        subject="s",
        programme_name="Programme",
        booking={
            "name": "<script>alert(1)</script>",
            "manage_url": "https://x/manage/t",
            "waitlist_position": None,
        },
        event={"title": "Tom & Jerry's day", "when": "Tuesday", "venue": None},
    )
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "Tom &amp; Jerry" in email.html
    assert "Tom & Jerry's day" in email.text and "<script>alert(1)</script>" in email.text
