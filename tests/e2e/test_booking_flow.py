"""One booking flowing end to end through three real service processes, RabbitMQ, three
PostgreSQL databases and a real SMTP server."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import token
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

STAFF = {"Authorization": f"Bearer {token('staff')}"}


async def publish_event(client: httpx.AsyncClient, system: System, **fields: object) -> str:
    body = {
        "title": "Adaptive Leadership masterclass",
        "starts_at": "2031-03-04T09:30:00+00:00",
        "ends_at": "2031-03-04T12:30:00+00:00",
        "capacity": 2,
        **fields,
    }
    created = await client.post(f"{system.url('catalogue')}/staff/events", json=body, headers=STAFF)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = await client.post(
        f"{system.url('catalogue')}/staff/events/{event_id}/publish", headers=STAFF
    )
    assert published.status_code == 200, published.text
    return str(event_id)


async def test_three_bookings_two_places(system: System) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        event_id = await publish_event(client, system)

        async def event_reached_bookings() -> bool:
            answer = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
            return answer.status_code == 200

        await wait_for(event_reached_bookings, message="event replicated to bookings")

        answers = []
        people = [
            (f"person{i}-{uuid.uuid4().hex[:6]}@example.org", f"req-{uuid.uuid4().hex}")
            for i in range(3)
        ]
        for email, request_id in people:
            answer = await client.post(
                f"{system.url('bookings')}/public/events/{event_id}/bookings",
                json={
                    "name": "Ottoline Quarrendon",
                    "email": email,
                    "organisation": "Bolton Council",
                },
                headers={"X-Request-ID": request_id},
            )
            assert answer.status_code == 201, answer.text
            assert answer.headers["x-request-id"] == request_id
            answers.append(answer.json())

    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted"]
    assert answers[2]["waitlist_position"] == 1

    await wait_for(lambda: len(system.smtp.received) >= 3, timeout=15, message="three emails")
    for (email, _), answer in zip(people, answers, strict=True):
        [message] = system.smtp.to(email)
        assert message["To"].addresses[0].addr_spec == email  # "Name <address>"
        assert "Adaptive Leadership masterclass" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        # 09:30 UTC on 4 March is 09:30 GMT in London.
        assert "Tuesday 4 March 2031, 09:30–12:30 (GMT)" in text
        assert "Adaptive Leadership masterclass" in html
        if answer["status"] == "confirmed":
            assert message["Subject"].startswith("Your place is confirmed")
        else:
            assert message["Subject"].startswith("You are on the waiting list")
            assert "position 1" in text
        assert answer["manage_token"] in text
    assert len(system.smtp.received) == 3

    # Operations follow the third booking by its request id through all three services.
    request_id = people[2][1]

    def lines_with_id() -> dict[str, list[dict]]:
        return {
            name: [line for line in process.log_lines() if line.get("correlation_id") == request_id]
            for name, process in system.services.items()
        }

    expected = {
        "bookings": "http.request",
        "notifications": "email.sent",
        "catalogue": "message.handled",
    }

    def journey_logged() -> dict[str, list[dict]] | None:
        found = lines_with_id()
        events = {name: {line["event"] for line in lines} for name, lines in found.items()}
        return found if all(expected[n] in events[n] for n in expected) else None

    # The email's "sent" line is written a moment after the email arrives: wait for it.
    found = await wait_for(journey_logged, message="the booking's steps in every service's log")
    assert all(line["service"] == name for name, lines in found.items() for line in lines)
    # The documented command tells the same journey from the three log files.
    paths = [str(process.log_path) for process in system.services.values()]
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "shared.trace", request_id, *paths],
        capture_output=True,
        text=True,
        check=True,
    )
    first, *steps = done.stdout.splitlines()
    assert all(name in first for name in ("bookings", "notifications", "catalogue")), first
    assert "request answered" in steps[0] and "bookings" in steps[0]
    assert any("email sent (SMTP accepted)" in step for step in steps)
    # Lines of long-lived workers are not about this booking and must not carry its id.
    notification_events = {line["event"] for line in found["notifications"]}
    assert "sender.identity_acquired" not in notification_events

    # ...and nobody's address or name is in any log line.
    for process in system.services.values():
        log_text = process.log_path.read_text()
        assert "Ottoline" not in log_text and "Quarrendon" not in log_text
        for email, _ in people:
            assert email not in log_text


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples matching `labels` in a Prometheus text page (0 when absent)."""
    return sum(
        float(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def test_metrics_show_the_flow(system: System) -> None:
    async with httpx.AsyncClient() as client:
        pages = {
            name: (await client.get(f"{system.url(name)}/metrics")).text for name in system.services
        }
    route = "/public/events/{event_id}/bookings"
    assert metric(pages["bookings"], "http_requests_total", route=route, status="201") == 3
    assert metric(pages["bookings"], "http_request_duration_seconds_count", route=route) == 3
    published = pages["bookings"]
    assert (
        metric(published, "messages_published_total", routing_key="bookings.booking.confirmed") == 2
    )
    assert (
        metric(published, "messages_published_total", routing_key="bookings.booking.waitlisted")
        == 1
    )
    consumed = pages["notifications"]
    assert (
        metric(
            consumed,
            "messages_consumed_total",
            queue="notifications.booking-events",
            outcome="handled",
        )
        == 3
    )
    assert (
        metric(
            pages["catalogue"], "messages_published_total", routing_key="catalogue.event.published"
        )
        == 1
    )
    assert metric(published, "messages_parked_total", queue="bookings.catalogue-events") == 0


async def test_sigterm_stops_each_service_cleanly(system: System) -> None:
    # Last in this module: it stops the processes the tests above used.
    for name, process in system.services.items():
        # uvicorn re-raises SIGTERM after its graceful shutdown, so that is the exit status.
        assert process.terminate(timeout=20) in (0, -signal.SIGTERM), name
        events = [line["event"] for line in process.log_lines()]
        stopping, stopped = events.index("service.stopping"), events.index("service.stopped")
        assert stopping < stopped < events.index("Application shutdown complete."), name
