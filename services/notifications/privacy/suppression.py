"""Who a campaign may not reach: addresses on the suppression list (erased, kept as a keyed
hash) and messages about an erased person (their bookings' placeholder address)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from services.notifications.privacy.tables import erased_addresses
from shared.contracts.bookings import BookingState
from shared.db import UnitOfWork
from shared.privacy.hashing import address_hash, address_key, is_erased_address


async def suppressed_among(uow: UnitOfWork, key: str, emails: Iterable[str]) -> set[str]:
    """The address keys among `emails` that were erased."""
    # Hashing a 10,000-person audience costs milliseconds; most databases have erased nobody.
    if (await uow.execute(sa.select(sa.exists().select_from(erased_addresses)))).scalar() is False:
        return set()
    by_hash = {address_hash(key, e): address_key(e) for e in emails}
    if not by_hash:
        return set()
    rows = await uow.execute(
        sa.select(erased_addresses.c.address_hash).where(
            erased_addresses.c.address_hash
            == sa.any_(sa.bindparam("hashes", list(by_hash), type_=ARRAY(sa.Text)))
        )
    )
    return {by_hash[row.address_hash] for row in rows}


def skip_erased_people(
    table: dict[str, Callable[..., Awaitable[None]]],
) -> dict[str, Callable[..., Awaitable[None]]]:
    """Bookings' messages about an erased person (their cancellation by the erasure itself)
    change nothing here and send nobody an email: the erasure took care of their rows."""

    def wrap(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def handle(payload: BookingState, uow: UnitOfWork, **kwargs: Any) -> None:
            if is_erased_address(payload.attendee.email):
                return
            await handler(payload, uow, **kwargs)

        handle.__name__ = getattr(handler, "__name__", "handle")
        return handle

    return {type_: wrap(handler) for type_, handler in table.items()}
