"""The shared address rule where bookings take addresses (public booking, staff booking on
behalf): an internationalised domain is kept in its IDNA form, a non-ASCII local part is a 422
that says why, and nothing is written for it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, messages, person, put_event


def _unique(local: str, domain: str) -> str:
    return f"{local}.{uuid.uuid4().hex[:8]}@{domain}"


@pytest.mark.parametrize("route", ["public", "staff"])
async def test_idn_domains_are_stored_as_ascii_and_non_ascii_local_parts_refused(
    client: httpx.AsyncClient,
    process: BookingsProcess,
    staff_headers: dict[str, str],
    route: str,
) -> None:
    state = await put_event(process.db, process.settings, event_state())
    url = f"/{route}/events/{state.event_id}/bookings"
    headers = staff_headers if route == "staff" else {}

    idn = _unique("jane", "exämple.org")
    r = await client.post(url, json=person(1, email=idn), headers=headers)
    assert r.status_code == 201, r.text
    [confirmed] = await messages(process.db, event_id=state.event_id)
    ascii_form = idn.replace("exämple.org", "xn--exmple-cua.org")
    assert confirmed["payload"]["attendee"]["email"] == ascii_form

    r = await client.post(url, json=person(2, email=_unique("zoë", "example.org")), headers=headers)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"][-1] == "email"
    assert "ASCII before the @" in error["msg"]
    assert len(await messages(process.db, event_id=state.event_id)) == 1
