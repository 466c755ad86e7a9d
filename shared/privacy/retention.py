"""When personal data of an event is due for anonymisation: `RETENTION_MONTHS` after it ended.
Each service's retention job (one replica per period, shared/scheduled_jobs.py) anonymises
what it holds of events that ended before the cutoff."""

from __future__ import annotations

import calendar
from datetime import datetime

RETENTION_JOB = "privacy.retention"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's
    last day when it has fewer)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
