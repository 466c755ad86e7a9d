"""The whole system with the console, for the privacy requests that span it."""

from tests.console.conftest import admin, console_system  # noqa: F401
