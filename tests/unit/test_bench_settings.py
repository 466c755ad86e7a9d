"""The hot-event benchmark runs bookings in production mode with settings of its own: each new
production check must be met there too, or `make bench-hot-event` dies at start-up (it did, the
day the privacy key and the console's address became required)."""

from __future__ import annotations

import os

import pytest

from bench.hot_event.stage import Stage
from services.bookings.settings import BookingsSettings


def test_the_benchmarks_production_environment_builds_bookings_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.isupper() and name not in {"PATH", "HOME"}:
            monkeypatch.delenv(name, raising=False)
    for name, value in Stage().env().items():
        monkeypatch.setenv(name, value)
    settings = BookingsSettings()
    assert settings.environment == "production"
