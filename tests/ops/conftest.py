"""The ops tests reuse the notifications ring's broker helper (publishing as another service's
relay would)."""

from tests.notifications.conftest import bus  # noqa: F401  (a fixture, registered by import)
