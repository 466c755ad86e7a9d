"""Production mode refuses what would make it unsafe: development or placeholder secrets,
short secrets, and public URLs pointing at loopback. One check in shared/settings.py covers
every secret and public URL of every service, including ones added later."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr, ValidationError

from services.bookings.settings import BookingsSettings
from services.catalogue.settings import CatalogueSettings
from services.notifications.settings import NotificationsSettings
from shared.settings import ServiceSettings
from tests.support.staff_keys import PUBLIC_KEY

SERVICES: list[type[ServiceSettings]] = [CatalogueSettings, BookingsSettings, NotificationsSettings]


def secret_names(cls: type[ServiceSettings]) -> list[str]:
    return [n for n, f in cls.model_fields.items() if f.annotation in (SecretStr, "SecretStr")]


def public_urls(cls: type[ServiceSettings]) -> list[str]:
    return [n for n in cls.model_fields if "public" in n and n.endswith("_url")]


def good(cls: type[ServiceSettings]) -> dict[str, str]:
    values = {name: secrets.token_urlsafe(48) for name in secret_names(cls)}
    values.update({name: f"https://{name}.leadinggm.example.org" for name in public_urls(cls)})
    return {"environment": "production", "staff_token_public_key": PUBLIC_KEY, **values}


@pytest.mark.parametrize("cls", SERVICES)
def test_every_service_starts_in_production_with_real_values(cls: type[ServiceSettings]) -> None:
    assert secret_names(cls)
    settings = cls(**good(cls))
    assert settings.environment == "production"


@pytest.mark.parametrize("cls", SERVICES)
@pytest.mark.parametrize(
    "bad",
    [
        "REPLACE-ME-with-64-random-characters",
        "x" * 40 + "replace-me",
        "short-but-random-Zq8",
        "changeme",
        "",
        "é" * 15,  # 30 bytes
    ],
)
def test_production_refuses_placeholder_and_short_secrets_naming_the_variable(
    cls: type[ServiceSettings], bad: str
) -> None:
    for name in secret_names(cls):
        with pytest.raises(ValidationError) as refused:
            cls(**{**good(cls), name: bad})
        text = str(refused.value)
        assert name.upper() in text
        # Only that variable is named, and the error never echoes what was typed.
        others = [n.upper() for n in secret_names(cls) if n != name]
        assert not any(f"{other} " in text for other in others)
        assert bad not in text or not bad


@pytest.mark.parametrize("cls", SERVICES)
def test_production_refuses_each_development_default(cls: type[ServiceSettings]) -> None:
    for name in secret_names(cls):
        values = good(cls)
        del values[name]
        with pytest.raises(ValidationError, match=name.upper()):
            cls(**values)


def test_a_secret_added_later_is_covered_without_more_code() -> None:
    class Later(ServiceSettings):
        console_session_key: SecretStr = SecretStr("dev-console-key-for-this-machine-only!")

    base = good(ServiceSettings)
    Later(**base, console_session_key=secrets.token_hex(32))
    for bad in ("dev-console-key-for-this-machine-only!", "REPLACE-ME", "too-short"):
        with pytest.raises(ValidationError, match="CONSOLE_SESSION_KEY"):
            Later(**base, console_session_key=bad)


def test_exactly_32_bytes_is_long_enough() -> None:
    base = good(ServiceSettings)
    ServiceSettings(**{**base, "invitation_signing_key": "k" * 32})
    with pytest.raises(ValidationError, match="INVITATION_SIGNING_KEY is shorter than 32 bytes"):
        ServiceSettings(**{**base, "invitation_signing_key": "k" * 31})


@pytest.mark.parametrize("cls", [BookingsSettings, NotificationsSettings, CatalogueSettings])
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8002",
        "https://localhost",
        "http://[::1]:8003/",
        "https://127.9.0.1",
        "http://app.localhost",
    ],
)
def test_production_refuses_loopback_public_urls(cls: type[ServiceSettings], url: str) -> None:
    for name in public_urls(cls):
        with pytest.raises(ValidationError, match=name.upper()):
            cls(**{**good(cls), name: url})


def test_notifications_links_to_bookings_must_be_public() -> None:
    values = good(NotificationsSettings)
    del values["bookings_public_url"]
    with pytest.raises(ValidationError, match="BOOKINGS_PUBLIC_URL points at loopback"):
        NotificationsSettings(**values)


def test_development_keeps_its_defaults() -> None:
    for cls in SERVICES:
        cls()  # loopback URLs and development secrets are fine off production


def test_trusted_proxies_are_cidrs_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.42.0.0/16, fd00:42::/56,192.0.2.7")
    assert BookingsSettings().trusted_proxies == ("10.42.0.0/16", "fd00:42::/56", "192.0.2.7")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.42.0.0/16,not-a-network")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        BookingsSettings()


def test_a_providers_short_smtp_password_is_accepted_but_a_placeholder_is_not() -> None:
    # The SMTP provider issues that password: its length is not ours to choose.
    values = good(NotificationsSettings)
    settings = NotificationsSettings(**values, smtp_password="s3cret-9")
    assert settings.smtp_password is not None
    with pytest.raises(ValidationError, match="SMTP_PASSWORD"):
        NotificationsSettings(**values, smtp_password="REPLACE-ME")
