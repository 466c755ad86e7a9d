"""Database errors reach logs without the statement's parameters or the values they carry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine
from shared.logging import describe_error
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_engines_hide_parameters_and_errors_are_logged_by_code(infra: Infra) -> None:
    engine = make_engine(infra.database_urls["notifications"], pool_size=1, max_overflow=0)
    try:
        with pytest.raises(DBAPIError) as caught:
            async with engine.connect() as conn:
                await conn.execute(
                    sa.text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": "Jane Secret"}
                )
    finally:
        await engine.dispose()
    # The parameter list is hidden; the server's own text still quotes the value, which is
    # why logs carry `describe_error` (type and SQLSTATE) rather than the text.
    assert "hide_parameters=True" in str(caught.value)
    assert "Jane" not in describe_error(caught.value)
    assert "sqlstate=22P02" in describe_error(caught.value)
