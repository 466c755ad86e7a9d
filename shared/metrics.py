"""Prometheus metrics every service exposes on /metrics. Service-specific ones live beside
the code that moves them."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MESSAGES_PUBLISHED = Counter(
    "messages_published_total", "Messages the broker confirmed", ["routing_key"]
)
PUBLISH_FAILURES = Counter(
    "messages_publish_failures_total", "Publishes not confirmed", ["routing_key"]
)
MESSAGES_CONSUMED = Counter(
    "messages_consumed_total", "Messages handled, by outcome", ["queue", "type", "outcome"]
)
MESSAGES_RETRIED = Counter("messages_retried_total", "Messages sent to a retry queue", ["queue"])
MESSAGES_PARKED = Counter("messages_parked_total", "Messages parked after their retries", ["queue"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published")
OUTBOX_OLDEST_AGE = Gauge("outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row")

# Broker-side depth of each consumer queue this service owns, sampled on a timer (a passive
# declare per queue) rather than per scrape, so a scrape never costs the broker anything.
QUEUE_READY = Gauge("queue_messages_ready", "Messages waiting in a consumer queue", ["queue"])
QUEUE_CONSUMERS = Gauge("queue_consumers", "Consumers attached to a consumer queue", ["queue"])
QUEUE_PARKED = Gauge("queue_messages_parked", "Messages in a queue's parked queue", ["queue"])
# AMQP tells no unacknowledged count without the management plugin; each process knows its own.
# Summed over a service's processes this is the broker's unacked count for the queue.
CONSUMER_UNACKED = Gauge(
    "consumer_messages_unacked", "Messages this process holds and has not acknowledged", ["queue"]
)
# From a message's `occurred_at` to the end of its handling: how far a consumer is behind.
CONSUMER_LAG = Histogram(
    "message_lag_seconds",
    "Time from a message being written to its consumer finishing with it",
    ["queue"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
SERVICE_READY = Gauge(
    "service_ready", "1 while a readiness check passes, sampled on the depth timer", ["check"]
)
