from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class CatalogueSettings(ServiceSettings):
    service_name: str = "catalogue"
    public_base_url: str = "http://127.0.0.1:8001"
    # Seconds a batch of booking events waits for more before the tally applies it: staff see
    # the tally that much later, and at 100 bookings/s a message shares its statement and ack
    # with a few others instead of paying for them alone.
    booking_events_linger: float = Field(default=0.05, ge=0, le=1)
