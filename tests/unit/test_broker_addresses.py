"""AMQP_URL lists the nodes of a cluster: full URLs, or host:port after the first."""

from __future__ import annotations

import pytest

from shared.messaging.addresses import parse_amqp_urls


def test_address_lists_parse_and_bad_entries_are_refused() -> None:
    assert parse_amqp_urls("amqp://u:p@a:5672/v, b:5673 ,amqps://x:y@c:5671/w") == [
        "amqp://u:p@a:5672/v",
        "amqp://u:p@b:5673/v",
        "amqps://x:y@c:5671/w",
    ]
    for bad in ("", " , ", "http://a:1/", "amqp://u:p@a:5672/,b", "amqp://u:p@a/,b:x"):
        with pytest.raises(ValueError, match="AMQP_URL"):
            parse_amqp_urls(bad)
