"""The audience's reads against the real replica: the roster comes back in the order the
audience is built in (cohorts as chosen, then address), without removed members, and the
opt-outs and bounces are matched on email keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa

from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import optouts, rosters
from services.notifications.persistence.tables import cohort_members
from shared.db import Database, make_engine
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def db(infra: Infra) -> AsyncIterator[Database]:
    database = Database(make_engine(infra.database_urls["notifications"]), producer="test")
    try:
        yield database
    finally:
        await database.dispose()


async def _seed(db: Database, cohort: uuid.UUID, people: list[tuple[str, str, bool]]) -> None:
    async with db.unit_of_work() as uow:
        await uow.execute(
            sa.insert(cohort_members),
            [
                {
                    "cohort_id": cohort,
                    "member_id": uuid.uuid4(),
                    "email": email,
                    "name": name,
                    "version": 1,
                    "removed": removed,
                }
                for email, name, removed in people
            ],
        )
        await uow.commit()


async def test_members_are_in_chosen_cohort_order_then_by_address(db: Database) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second, empty = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _seed(
        db,
        first,
        [(f"c.{tag}@example.org", "Cy", False), (f"a.{tag}@example.org", "Ann", False)],
    )
    await _seed(
        db,
        second,
        [
            (f"b.{tag}@example.org", "Bob", False),
            (f"gone.{tag}@example.org", "Gone", True),
            (f"A.{tag}@example.org", "Ann again", False),
        ],
    )
    async with db.unit_of_work() as uow:
        in_order = await rosters.members(uow, [second, first, empty])
        other_way = await rosters.members(uow, [first, second])
        none = await rosters.members(uow, [empty])
        removed = await facts_store.removed_members(uow, [first, second])
    assert [(m.email, m.name) for m in in_order] == [
        (f"A.{tag}@example.org", "Ann again"),
        (f"b.{tag}@example.org", "Bob"),
        (f"a.{tag}@example.org", "Ann"),
        (f"c.{tag}@example.org", "Cy"),
    ]
    assert [m.name for m in other_way] == ["Ann", "Cy", "Ann again", "Bob"]
    assert none == []
    assert [m.email for m in removed] == [f"gone.{tag}@example.org"]


async def test_opt_outs_and_bounces_are_matched_on_email_keys(db: Database) -> None:
    tag = uuid.uuid4().hex[:8]
    out, stays = f"out.{tag}@example.org", f"stays.{tag}@example.org"
    async with db.unit_of_work() as uow:
        assert await optouts.add(uow, f" OUT.{tag}@Example.org", None)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await optouts.among(uow, {out, stays}) == {out}
        assert await optouts.among(uow, set()) == set()
        assert await facts_store.suppressed(uow, {out, stays}) == set()
