from __future__ import annotations

from pydantic import SecretStr

from shared.settings import ServiceSettings

DEV_MANAGE_TOKEN_KEY = "dev-only-manage-token-key-change-me-in-production"


class BookingsSettings(ServiceSettings):
    service_name: str = "bookings"
    # Where bookers reach this service: manage links in emails point here.
    public_base_url: str = "http://127.0.0.1:8002"
    # The staff console: check-in links (the QR code in confirmations) open its door page.
    console_public_url: str = "http://127.0.0.1:8004"
    # Signs manage tokens (HMAC of the booking id), so a link can be rebuilt for every message
    # about the booking without storing the token itself.
    manage_token_key: SecretStr = SecretStr(DEV_MANAGE_TOKEN_KEY)
    # The organiser of the calendar file the manage page offers. Set it to notifications'
    # MAIL_FROM: its domain is part of each entry's UID, so the download and the emailed
    # invite name the same entries.
    calendar_organiser: str = "Leading GM Programme <programme@leadinggm.example.org>"

    # Automatic promotion from the waiting list stops this long before the event starts; after
    # that staff promote by hand, so nobody is told the night before that they have a place.
    promotion_cutoff_hours: float = 24.0
    # The widget's read path: availability per event is cached this long in each process.
    availability_cache_seconds: float = 0.5
    # Concurrent bookings for one event are decided together, at most this many per transaction.
    booking_batch_size: int = 256
    # More requests than this waiting for one event in one process are refused as busy.
    booking_queue_limit: int = 5000
    # Waiting for the event's row lock: each attempt gives up after lock_timeout_ms, and after
    # lock_attempts the request is answered 503 busy rather than left hanging.
    lock_timeout_ms: int = 1000
    lock_attempts: int = 3
    # The pool of its own that booking batches use, beside the main one (deploy/SCALING.md).
    batch_pool_size: int = 4
    batch_max_overflow: int = 4
    idempotency_ttl_hours: float = 24.0
    partner_cache_seconds: float = 5.0
    # Public routes, per client address and route group ("read", "book", "manage"): a burst
    # and a refill rate per second, e.g. RATE_LIMITS='{"book": [10, 0.5]}'; groups left out
    # keep their defaults (services/bookings/api/widget_edge.py). Off only for benchmarks.
    rate_limit_enabled: bool = True
    rate_limits: dict[str, tuple[float, float]] = {}
    # Door check-in: how many days around a session's own day (in the event's time zone) the
    # door may check people in; 0 is the day itself only. Corrections afterwards go through
    # the attendance route.
    checkin_days_early: int = 0
    checkin_days_late: int = 0
