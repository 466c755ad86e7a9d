from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

DEV_UNSUBSCRIBE_KEY = "dev-only-unsubscribe-key-change-me-in-production"


class NotificationsSettings(ServiceSettings):
    external_secrets: ClassVar[frozenset[str]] = frozenset({"smtp_password"})

    service_name: str = "notifications"
    # Where people reach this service (the one-click unsubscribe link points here).
    public_base_url: str = "http://127.0.0.1:8003"
    # Where the bookings service serves its booking page: invitation links point at
    # `{bookings_public_url}/book/{event_id}?invitation=<signed token>`.
    bookings_public_url: str = "http://127.0.0.1:8002"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_timeout: float = 10.0
    # `starttls` (submission, port 587), `tls` (implicit TLS, port 465) or `none` (a local
    # relay only: production refuses `none` towards a host that is not loopback).
    smtp_security: Literal["starttls", "tls", "none"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # A CA bundle to trust for the server's certificate (default: the system's).
    smtp_ca_file: str | None = None
    # Persistent SMTP connections per process; each carries one email at a time.
    smtp_connections: int = Field(default=8, ge=1, le=64)
    # Reconnect after this many emails on one connection (servers limit a session's length).
    smtp_max_per_connection: int = Field(default=1000, ge=1)
    # Close a connection idle this long, before the server times it out under our feet.
    smtp_idle_seconds: float = 30.0
    # Emails per second per process (a token bucket); 0 switches throttling off. Booking
    # emails go first when both wait, but they share the rate, so it must exceed their peak.
    send_rate: float = Field(default=200.0, ge=0)
    send_burst: float = Field(default=10.0, ge=1)

    # Seconds the recorder waits to let more outcomes share a commit (a crash in that window
    # can resend those emails, so keep it to milliseconds).
    record_linger: float = Field(default=0.002, ge=0, le=0.05)
    # Every email sent is announced (notifications.email.sent) through the outbox: at 100
    # confirmations/s each announcement was a relay batch of its own. Nothing waits on them
    # within 50 ms (campaign work items, the other messages here, can wait as long).
    outbox_linger: float = Field(default=0.05, ge=0, le=1)

    mail_from: str = "Leading GM Programme <programme@leadinggm.example.org>"
    programme_name: str = "Leading GM Leadership Programme"
    # Campaigns reach only people with a reason to be contacted: on a roster, or consenting
    # when they booked; an address typed into a campaign without either is left out (counted
    # with the opted out). Off only for test suites that invite made-up addresses.
    campaign_contact_reason_required: bool = True
    unsubscribe_signing_key: SecretStr = SecretStr(DEV_UNSUBSCRIBE_KEY)

    # Campaign fan-out: invitees per work item, and work items a process takes at once.
    campaign_chunk_size: int = Field(default=250, ge=1, le=5000)
    campaign_prefetch: int = Field(default=4, ge=1)
    # Emails of a chunk claimed at a time; a pause or cancel takes effect between batches.
    campaign_claim_batch: int = Field(default=50, ge=1)
    email_prefetch: int = Field(default=64, ge=1)
    # Booking and catalogue messages handled at once: each holds a database connection, so
    # more than the pool has only makes them queue for connections (and starve the relay).
    booking_prefetch: int = Field(default=8, ge=1)
    # The process's other PostgreSQL pools, beside the main one (DATABASE_POOL_SIZE): outcomes
    # recorded on connections of their own, and the sending hot path's asyncpg pool. What one
    # process may open in all: deploy/SCALING.md.
    record_pool_size: int = Field(default=2, ge=1)
    record_max_overflow: int = Field(default=2, ge=0)
    hot_pool_size: int = Field(default=4, ge=1)
    invitation_ttl: timedelta = timedelta(days=60)

    # Reminders this long before an event starts; one scheduler pass every `scheduler_interval`.
    reminder_offsets: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=1)]
    )
    # A reminder (or scheduled campaign) found later than this after its time was missed
    # while the service was down: dropped and logged, never sent late.
    reminder_grace: timedelta = timedelta(minutes=30)
    scheduler_interval: float = Field(default=5.0, gt=0)
    # A transactional email still queued this long after it was written is sent by the retry
    # pass (its process died between the commit and the send).
    stranded_after: timedelta = timedelta(seconds=30)
    run_scheduler: bool = True

    # How long a sender's claim on an email lasts: after it another sender takes it over (and
    # the first one's late outcome is refused). A sender starts an email only while the lease
    # leaves room for its transaction and its record, so keep it well above 2 x SMTP_TIMEOUT.
    claim_lease: float = Field(default=60.0, gt=0)
    # An unreachable server or a 4xx defers an email: first retry after `defer_first_delay`,
    # doubling up to `defer_max_delay`, for as long as `send_deadline` after it was written;
    # then it fails (reason `deadline`). An outage shorter than the deadline parks nothing.
    defer_first_delay: timedelta = timedelta(seconds=5)
    defer_max_delay: timedelta = timedelta(minutes=10)
    send_deadline: timedelta = timedelta(hours=48)
    # Emails the retry pass takes at a time (transactional first, then campaign ones).
    retry_batch: int = Field(default=200, ge=1)
    # Transactional emails per recipient address per hour; beyond it they are suppressed
    # (counted, logged once), so no one can be mail-bombed through book-and-cancel. 0: off.
    recipient_hourly_cap: int = Field(default=20, ge=0)

    @model_validator(mode="after")
    def _refuse_clear_smtp_off_host(self) -> NotificationsSettings:
        if (
            self.environment == "production"
            and self.smtp_security == "none"
            and not _loopback(self.smtp_host)
        ):
            raise ValueError(
                "production mode refuses SMTP_SECURITY=none towards a host that is not loopback"
                f" ({self.smtp_host}): set SMTP_SECURITY to starttls or tls"
            )
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
