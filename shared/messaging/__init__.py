"""Messaging on aio-pika: topology, the publisher, the consumer runner, the outbox relay."""
