"""Fixtures for the bookings tests: the service running in-process against this session's
database and vhost, events put straight into its replica, and readers of its outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI

from services.bookings.app import create_app
from services.bookings.handlers import apply_event_state
from services.bookings.process import BookingsProcess
from services.bookings.settings import BookingsSettings
from shared.contracts import AudienceState, EventOption, EventSession, EventState, OptionGroup
from shared.db import Database
from tests.conftest import running, settings_for
from tests.support.infra import Infra


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bookings_app(infra: Infra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings_for("bookings", infra))
    async with running(app) as client:
        yield app, client


@pytest_asyncio.fixture(loop_scope="session")
async def client(bookings_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return bookings_app[1]


@pytest_asyncio.fixture(loop_scope="session")
async def process(bookings_app: tuple[FastAPI, httpx.AsyncClient]) -> BookingsProcess:
    return bookings_app[0].state.bookings  # type: ignore[no-any-return]


def event_state(**overrides: Any) -> EventState:
    """A bookable event starting in 30 days, with overrides (options as (name, capacity);
    groups as (name, required, [(name, capacity), ...]))."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "version": 1,
        "title": "Driving Place Leadership",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=8),
        "capacity": 10,
        "waitlist_enabled": True,
    }
    options = overrides.pop("options", None)
    if options is not None:
        values["options"] = [
            EventOption(option_id=uuid.uuid4(), name=name, capacity=capacity)
            for name, capacity in options
        ]
    groups = overrides.pop("groups", None)
    if groups is not None:
        values["option_groups"], values["options"] = [], []
        for group_name, required, group_options in groups:
            group_id = uuid.uuid4()
            values["option_groups"].append(
                OptionGroup(group_id=group_id, name=group_name, required=required)
            )
            values["options"] += [
                EventOption(option_id=uuid.uuid4(), name=name, capacity=cap, group_id=group_id)
                for name, cap in group_options
            ]
    if "sessions" in overrides:
        values["sessions"] = [
            EventSession(session_id=uuid.uuid4(), title=title, starts_at=starts, ends_at=starts)
            for title in overrides.pop("sessions")
        ]
    if "audience" in overrides:
        kind, cohorts = overrides.pop("audience")
        values["audience"] = AudienceState(kind=kind, cohort_ids=cohorts)
    values.update(overrides)
    return EventState(**values)


async def put_event(db: Database, settings: BookingsSettings, state: EventState) -> EventState:
    """Apply a catalogue state through the consumer's own use case (no broker needed)."""
    async with db.unit_of_work() as uow:
        await apply_event_state(state, uow, settings)
        await uow.commit()
    return state


async def messages(
    db: Database, *, event_id: uuid.UUID, prefix: str = "bookings.booking."
) -> list[dict[str, Any]]:
    """Envelopes of one family (bookings' own booking messages unless told otherwise) this
    service wrote to its outbox about an event, oldest first. Staff commands also write a
    `bookings.staff_action.recorded`, which the booking tests do not count."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT body FROM outbox WHERE convert_from(body, 'UTF8')::jsonb "
                    "-> 'payload' ->> 'event_id' = :event_id "
                    "AND starts_with(routing_key, :prefix) ORDER BY id"
                ),
                {"event_id": str(event_id), "prefix": prefix},
            )
        ).all()
    return [json.loads(bytes(r.body)) for r in rows]


def person(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Leader {n}",
        "email": f"leader{n}.{uuid.uuid4().hex[:8]}@example.org",
        "organisation": "Bolton Council",
        **extra,
    }
