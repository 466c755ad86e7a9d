from __future__ import annotations

from shared.settings import ServiceSettings


class BookingsSettings(ServiceSettings):
    service_name: str = "bookings"
    # Where bookers reach this service: manage links in emails point here.
    public_base_url: str = "http://127.0.0.1:8002"
