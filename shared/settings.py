"""One settings base for every service, read from the environment (pydantic-settings).

Defaults work on a development machine with PostgreSQL and RabbitMQ on loopback. Production
mode refuses to start with a secret that is a development default or a placeholder, or too
short, and with a public URL that points at loopback; these checks cover every `SecretStr`
and every `*public*_url` setting of every service, so a new one is covered by being declared.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_INVITATION_KEY = "dev-only-invitation-key-change-me-in-production"
DEV_PRIVACY_KEY = "dev-only-privacy-hash-key-change-me-in-production"
# Strings that have been seen standing in for a secret; each field's own default (a development
# value) is refused as well, and so is anything containing a marker below.
KNOWN_PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "example", "xxx", "todo", "replace-me"}
)
_PLACEHOLDER_MARKERS = ("replace-me", "change-me", "changeme", "dev-only")
MIN_SECRET_BYTES = 32
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def secret_problem(
    value: str, default: str | None, *, min_bytes: int = MIN_SECRET_BYTES
) -> str | None:
    """Why `value` cannot be a production secret, or None if it can."""
    lowered = value.strip().lower()
    if value == default or lowered in KNOWN_PLACEHOLDERS:
        return "is a development default or a placeholder"
    if any(marker in lowered for marker in _PLACEHOLDER_MARKERS):
        return "still holds a placeholder"
    if len(value.encode()) < min_bytes:
        return f"is shorter than {min_bytes} bytes"
    return None


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_list(value: Any) -> Any:
    """A list setting from the environment: comma separated (`10.0.0.0/8, fd00::/8`) or JSON."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


# Made by `python -m shared.auth keygen` (which `make run` calls); read in development only.
DEV_STAFF_TOKEN_PUBLIC_KEY_FILE = "var/keys/staff-signing.pub"


class ServiceSettings(BaseSettings):
    """Settings every service has; each service subclasses it and sets `service_name`."""

    # Errors never echo their input: it holds the secrets read from the environment.
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    # Secrets issued by a third party (checked for placeholders, not for length).
    external_secrets: ClassVar[frozenset[str]] = frozenset()

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"

    database_url: str = ""
    # The main pool of each process: connections held at rest, and extra ones under load.
    database_pool_size: int = 10
    database_max_overflow: int = 10
    # True when DATABASE_URL is a transaction-mode pooler (PgBouncer): no prepared statement
    # outlives a transaction there, so the drivers' statement caches are switched off.
    database_transaction_pooler: bool = False

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange_name: str = "gm.events"
    prefetch: int = 32
    # Seconds a failed message waits before each retry; after the last one it is parked.
    retry_delays: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0, 600.0])
    # A backstop for messages that crash the process before they can be retried or parked.
    delivery_limit: int = 20
    run_workers: bool = True
    outbox_poll_interval: float = 1.0
    outbox_batch_size: int = 200
    # Seconds a published outbox row is kept (for inspection) before it is deleted; 0 deletes
    # it as soon as the broker confirms it (shared/messaging/relay.py says why).
    outbox_retention: float = Field(default=0.0, ge=0)
    # Seconds the relay waits, once a commit woke it, for more commits to join its batch
    # (each batch costs a transaction of four round trips and a publish): for a service whose
    # messages may leave that much later. 0 publishes at once.
    outbox_linger: float = Field(default=0.0, ge=0, le=1)
    shutdown_grace: float = 10.0
    # Seconds between samples of this service's queue depths and readiness for /metrics.
    queue_depth_interval: float = 15.0

    # Staff tokens are verified here, never minted (shared/auth.py): Ed25519 public keys as PEM
    # text or a PEM file, or the console's JWKS URL. Production needs one of them.
    staff_token_public_key: str = ""
    staff_token_public_key_file: str = ""
    staff_token_jwks_url: str = ""
    staff_token_jwks_timeout: float = 3.0
    jwt_issuer: str = "gm-programme"
    invitation_signing_key: SecretStr = SecretStr(DEV_INVITATION_KEY)
    # Keys the hash an erased address is kept as (the suppression list) and signs export
    # download links: the same value in every service, or an erased address is not recognised.
    privacy_hash_key: SecretStr = SecretStr(DEV_PRIVACY_KEY)
    # Bookings, deliveries and idempotency answers are anonymised this long after their event.
    retention_months: int = Field(default=24, ge=1, le=1200)
    # Seconds between passes of the retention job (one replica runs each pass).
    retention_interval: float = Field(default=3600.0, gt=0)

    public_base_url: str = ""
    # Prometheus metrics on a port of their own (production: the Ingress never routes it);
    # 0 serves them at /metrics on the service's own port, as in development.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"
    # Proxies whose X-Forwarded-For is believed (the ingress controller's address range), as
    # CIDRs, e.g. TRUSTED_PROXIES=10.42.0.0/16,fd00:42::/56. Empty: the peer is the client.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    # Larger bodies are refused with 413 before any parsing (roster CSVs fit comfortably).
    max_body_bytes: int = 2 * 1024 * 1024

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        networks = _split_list(value)
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # a ValueError names the bad entry
        return networks

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_unsafe_production(self) -> ServiceSettings:
        if not self.database_url:
            object.__setattr__(
                self,
                "database_url",
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.service_name}",
            )
        has_staff_key = (
            self.staff_token_public_key
            or self.staff_token_public_key_file
            or self.staff_token_jwks_url
        )
        if self.environment == "development" and not has_staff_key:
            object.__setattr__(self, "staff_token_public_key_file", DEV_STAFF_TOKEN_PUBLIC_KEY_FILE)
        if self.environment == "production" and not has_staff_key:
            raise ValueError(
                "production mode needs a staff token key: set STAFF_TOKEN_PUBLIC_KEY, "
                "STAFF_TOKEN_PUBLIC_KEY_FILE or STAFF_TOKEN_JWKS_URL"
            )
        if self.environment == "production":
            problems = self._production_problems()
            if problems:
                raise ValueError("production mode refuses: " + "; ".join(problems))
        return self

    def secrets_unused_in_production(self) -> frozenset[str]:
        """Secrets this service inherits or keeps for development only and never uses in
        production: their development defaults are harmless there, so they are not checked."""
        return frozenset()

    def _production_problems(self) -> list[str]:
        problems = []
        unused = self.secrets_unused_in_production()
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            variable = name.upper()
            if isinstance(value, SecretStr) and name not in unused:
                default = field.default
                default_text = (
                    default.get_secret_value() if isinstance(default, SecretStr) else None
                )
                # A credential a third party issued (an SMTP provider's password) is not ours to
                # lengthen: only placeholders are refused there.
                min_bytes = 1 if name in self.external_secrets else MIN_SECRET_BYTES
                problem = secret_problem(
                    value.get_secret_value(), default_text, min_bytes=min_bytes
                )
                if problem:
                    problems.append(f"{variable} {problem}: set it to a random value")
            elif isinstance(value, str):
                if "replace-me" in value.lower():
                    problems.append(f"{variable} still holds a placeholder (REPLACE-ME)")
                elif "public" in name and name.endswith("_url") and is_loopback_url(value):
                    problems.append(f"{variable} points at loopback ({value}): set the public URL")
        return problems
