"""`python -m services.bookings.resync`: republish every booking (after a restore of another
service, or of this one)."""

from functools import partial

from services.bookings.settings import BookingsSettings
from services.bookings.usecases.resync import resync
from shared.resync import main

if __name__ == "__main__":
    settings = BookingsSettings()
    raise SystemExit(main(settings, partial(resync, settings=settings)))
