"""docker-compose.yml cannot run here (no Docker engine), so it is kept true to the code by
checking what can be checked: the same services, ports, commands and settings as `make run`."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import yaml
from pydantic import SecretStr

from services.bookings.settings import BookingsSettings
from services.catalogue.settings import CatalogueSettings
from services.console.settings import ConsoleSettings
from services.notifications.settings import NotificationsSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "catalogue": CatalogueSettings,
    "bookings": BookingsSettings,
    "notifications": NotificationsSettings,
    "console": ConsoleSettings,
}


def procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def port_of(command: list[str]) -> int:
    return int(command[command.index("--port") + 1])


def test_compose_runs_the_same_services_on_the_same_ports_as_make_run() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    local = procfile()
    for name in SETTINGS:
        command = services[name]["command"]
        assert command[:3] == local[name][:3], name  # uvicorn --factory <same app>
        assert port_of(command) == port_of(local[name])
        assert services[name]["ports"] == [f"{port_of(command)}:{port_of(command)}"]
        module, factory = command[2].split(":")
        assert callable(getattr(importlib.import_module(module), factory))
    assert {"postgres", "rabbitmq", "mailpit", "setup"} <= set(services)
    partner = services["partner"]["command"]
    assert partner[:3] == local["partner"][:3]
    assert (
        partner[partner.index("--port") + 1]
        == local["partner"][local["partner"].index("--port") + 1]
    )


def test_compose_settings_exist_in_the_services_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, cls in SETTINGS.items():
        env = compose["services"][name]["environment"]
        for key in env:
            assert key.lower() in cls.model_fields, f"{name}: {key} is not a setting"
        assert env["DATABASE_URL"].endswith(f"/{name}")
    notifications = compose["services"]["notifications"]["environment"]
    assert (notifications["SMTP_HOST"], notifications["SMTP_PORT"]) == ("mailpit", "1025")


def test_compose_passes_every_secret_through_from_the_shell() -> None:
    """Each service's secrets can be given from the shell (`MANAGE_TOKEN_KEY=... docker
    compose up`), falling back to the development value the settings default to."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, cls in SETTINGS.items():
        env = compose["services"][name]["environment"]
        for field, info in cls.model_fields.items():
            if info.annotation is SecretStr:
                value = env.get(field.upper(), "")
                default = info.default.get_secret_value()
                assert value == f"${{{field.upper()}:-{default}}}", f"{name}: {field.upper()}"


def test_setup_uses_the_commands_make_run_uses() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    makefile = (ROOT / "Makefile").read_text()
    setup = compose["services"]["setup"]["command"]
    for module in re.findall(r"python -m ([\w.]+)", setup):
        assert f"-m {module}" in makefile, module
        importlib.import_module(module)


def test_dockerfile_copies_what_exists() -> None:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY"):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
