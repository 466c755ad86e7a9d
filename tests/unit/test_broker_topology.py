"""The declared topology uses only what survives a node loss and RabbitMQ 4: durable quorum
queues everywhere, at-least-once dead-lettering (with the overflow mode it needs), explicit
delivery limits, and no classic mirrored queues, transient queues or global QoS."""

from __future__ import annotations

import re
from pathlib import Path

from shared.messaging.declare import definitions
from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import (
    PARKED_DELIVERY_LIMIT,
    parked_queue_name,
    retry_queue_name,
)
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def queues() -> list[dict[str, object]]:
    return definitions(ServiceSettings())["queues"]


def test_every_queue_is_a_durable_quorum_queue() -> None:
    found = queues()
    assert len(found) == sum(len(s) for s in BY_SERVICE.values()) * (
        2 + len(ServiceSettings().retry_delays)
    )
    for queue in found:
        assert queue["durable"] is True and queue["auto_delete"] is False, queue["name"]
        assert queue["arguments"]["x-queue-type"] == "quorum", queue["name"]  # type: ignore[index]
        # Classic mirrored queues (ha-* policies and arguments) are gone in RabbitMQ 4.
        assert not any(str(k).startswith("x-ha") for k in queue["arguments"]), queue["name"]  # type: ignore[attr-defined]


def test_every_dead_lettering_queue_does_it_at_least_once() -> None:
    dead_lettering = [q for q in queues() if "x-dead-letter-exchange" in q["arguments"]]  # type: ignore[operator]
    # The main queue and its retry queues of every subscription; parked queues are the end.
    assert len(dead_lettering) == len(queues()) - sum(len(s) for s in BY_SERVICE.values())
    for queue in dead_lettering:
        arguments = queue["arguments"]
        assert arguments["x-dead-letter-strategy"] == "at-least-once", queue["name"]  # type: ignore[index]
        # Without reject-publish RabbitMQ falls back to at-most-once without a word.
        assert arguments["x-overflow"] == "reject-publish", queue["name"]  # type: ignore[index]


def test_main_retry_and_parked_queues_say_where_messages_go() -> None:
    settings = ServiceSettings()
    by_name = {q["name"]: q["arguments"] for q in queues()}
    for subscriptions in BY_SERVICE.values():
        for sub in subscriptions:
            main = by_name[sub.queue]
            # Explicit: RabbitMQ 4 changes the default delivery limit.
            assert main["x-delivery-limit"] == settings.delivery_limit  # type: ignore[index]
            assert main["x-dead-letter-routing-key"] == parked_queue_name(sub.queue)  # type: ignore[index]
            for delay in settings.retry_delays:
                retry = by_name[retry_queue_name(sub.queue, delay)]
                assert retry["x-message-ttl"] == round(delay * 1000)  # type: ignore[index]
                assert retry["x-dead-letter-routing-key"] == sub.queue  # type: ignore[index]
            # Explicit and out of reach: listing counts as a delivery (RabbitMQ 4's default
            # limit of 20 would drop a parked message at the twentieth listing).
            assert by_name[parked_queue_name(sub.queue)] == {
                "x-queue-type": "quorum",
                "x-delivery-limit": PARKED_DELIVERY_LIMIT,
            }
            assert PARKED_DELIVERY_LIMIT >= 10**9


def test_no_code_asks_for_global_qos_or_a_transient_queue() -> None:
    sources = [*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]
    assert sources
    for path in sources:
        text = path.read_text()
        # Global QoS (prefetch per channel instead of per consumer) is deprecated in RabbitMQ 4.
        assert not re.search(r"global_\s*=\s*True", text), path
        # Transient (non-durable, non-exclusive) queues are deprecated in RabbitMQ 4.
        assert not re.search(r"durable\s*=\s*False", text), path
