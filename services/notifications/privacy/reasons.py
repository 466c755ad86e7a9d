"""Who a campaign may reach: someone with a reason to be contacted, that is on a roster the
programme holds, or who consented to future contact when they booked. Addresses staff type
into a campaign are checked against both; roster members need no further reason."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from services.notifications.persistence.tables import bookings, cohort_members
from shared.db import UnitOfWork
from shared.privacy.hashing import address_key


async def without_reason(uow: UnitOfWork, emails: Iterable[str]) -> set[str]:
    """The address keys among `emails` that are on no roster and never consented."""
    keys = list({address_key(e) for e in emails})
    if not keys:
        return set()
    wanted = sa.bindparam("keys", keys, type_=ARRAY(sa.Text))
    on_roster = sa.select(sa.func.lower(cohort_members.c.email)).where(
        sa.func.lower(cohort_members.c.email) == sa.any_(wanted), ~cohort_members.c.removed
    )
    attendee = bookings.c.state["attendee"]
    consented = sa.select(sa.func.lower(attendee["email"].astext)).where(
        sa.func.lower(attendee["email"].astext) == sa.any_(wanted),
        attendee["consent_to_contact"].as_boolean(),
    )
    found = {row[0] for row in await uow.execute(on_roster.union(consented))}
    return set(keys) - found
