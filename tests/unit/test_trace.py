from shared.trace import journey, parse_lines, render

LINES = [
    '12:00:01 notifications.1 | {"timestamp":"2026-11-26T12:00:00.050Z","service":"notifications",'
    '"event":"email.sent","correlation_id":"c1","kind":"confirmation"}',
    '{"timestamp":"2026-11-26T12:00:00.000Z","service":"bookings","event":"http.request",'
    '"correlation_id":"c1","method":"POST","status":201}',
    '{"timestamp":"2026-11-26T12:00:00.010Z","service":"bookings","event":"outbox.published",'
    '"correlation_id":"c1","routing_key":"bookings.booking.confirmed"}',
    '{"timestamp":"2026-11-26T12:00:00.020Z","service":"bookings","event":"other","correlation_id":"c2"}',
    "not json at all",
]


def test_journey_is_in_time_order_across_services_and_files() -> None:
    steps = journey(parse_lines(LINES), "c1")
    assert [s.event for s in steps] == ["http.request", "outbox.published", "email.sent"]
    text = render(steps, "c1")
    assert "3 steps across bookings, notifications; 50.0 ms" in text
    lines = text.splitlines()
    assert "request answered" in lines[1] and "method=POST" in lines[1]
    assert "+   40.0" in lines[3] and "email sent" in lines[3]


def test_unknown_id_says_so() -> None:
    assert render(journey(parse_lines(LINES), "nope"), "nope").startswith("no log lines")
