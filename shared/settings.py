"""One settings base for every service, read from the environment (pydantic-settings).

Defaults work on a development machine with PostgreSQL and RabbitMQ on loopback; production
mode refuses to start with any of the development secrets below.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production"
DEV_INVITATION_KEY = "dev-only-invitation-key-change-me-in-production"
_DEV_SECRETS = {DEV_JWT_SECRET, DEV_INVITATION_KEY}


class ServiceSettings(BaseSettings):
    """Settings every service has; each service subclasses it and sets `service_name`."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"

    database_url: str = ""
    database_pool_size: int = 10
    database_max_overflow: int = 10

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
    shutdown_grace: float = 10.0
    # Seconds between samples of this service's queue depths and readiness for /metrics.
    queue_depth_interval: float = 15.0

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = "gm-programme"
    invitation_signing_key: SecretStr = SecretStr(DEV_INVITATION_KEY)

    public_base_url: str = ""
    # Larger bodies are refused with 413 before any parsing (roster CSVs fit comfortably).
    max_body_bytes: int = 2 * 1024 * 1024

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_dev_secrets(self) -> ServiceSettings:
        if not self.database_url:
            object.__setattr__(
                self,
                "database_url",
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.service_name}",
            )
        if self.environment == "production":
            weak = [
                name
                for name, value in self.model_dump().items()
                if isinstance(value, SecretStr) and value.get_secret_value() in _DEV_SECRETS
            ]
            if weak:
                raise ValueError(
                    f"production mode refuses development secrets: set {', '.join(sorted(weak))}"
                )
        return self
