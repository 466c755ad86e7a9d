import os

from shared.trace import journey, main, parse_lines, render

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


# What `kubectl logs` prints: with --prefix, --timestamps, both, or neither, pods interleaved.
KUBECTL = [
    '[pod/notifications-7c9d-x2/notifications] 2026-11-26T12:00:00.060123456Z {"timestamp":'
    '"2026-11-26T12:00:00.050Z","service":"notifications","event":"email.sent",'
    '"correlation_id":"k1","kind":"confirmation"}',
    '2026-11-26T12:00:00.001000000Z {"timestamp":"2026-11-26T12:00:00.000Z","service":"bookings",'
    '"event":"http.request","correlation_id":"k1","status":201}',
    '[pod/bookings-5d8f-a1/bookings] {"timestamp":"2026-11-26T12:00:00.010Z","service":"bookings",'
    '"event":"outbox.published","correlation_id":"k1"}',
    '{"timestamp":"2026-11-26T12:00:00.030Z","service":"notifications","event":"message.handled",'
    '"correlation_id":"k1"}',
    "[pod/bookings-5d8f-a1/bookings] 2026-11-26T12:00:00.020Z unable to retrieve container logs",
]


def test_kubectl_logs_with_or_without_prefix_and_timestamps() -> None:
    steps = journey(parse_lines(KUBECTL), "k1")
    assert [s.event for s in steps] == [
        "http.request",
        "outbox.published",
        "message.handled",
        "email.sent",
    ]
    # The pod is kept (several replicas of a service), the service's own time is used.
    assert steps[1].fields["pod"] == "bookings-5d8f-a1"
    assert steps[3].fields["pod"] == "notifications-7c9d-x2"
    assert steps[3].at.isoformat() == "2026-11-26T12:00:00.050000+00:00"
    assert "pod=bookings-5d8f-a1" in render(steps, "k1")


def test_kubectl_timestamp_stands_in_for_a_line_without_its_own() -> None:
    line = (
        '[pod/b-1/b] 2026-11-26T12:00:00.123456789Z {"service":"b","event":"x",'
        '"correlation_id":"t"}'
    )
    [step] = journey(parse_lines([line]), "t")
    assert step.at.isoformat() == "2026-11-26T12:00:00.123456+00:00"


def test_the_command_reads_a_file_and_the_cluster_the_same_way(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "cluster.log"
    log.write_text("\n".join(KUBECTL) + "\n")
    assert main(["k1", str(log)]) == 0
    from_file = capsys.readouterr().out
    # kubectl itself is a third party we cannot run here: a stand-in prints the same lines
    # and records the arguments it was given.
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat {log}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    assert main(["k1", "--kubectl", "-n", "gm-test"]) == 0
    assert capsys.readouterr().out == from_file
    args = (tmp_path / "args").read_text()
    assert "logs --namespace gm-test" in args and "--prefix" in args and "--timestamps" in args
    assert main(["nope", "--kubectl"]) == 1
