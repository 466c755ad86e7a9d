"""Searching every text, JSON, array and binary column of every table of a database for
strings: how the erasure tests prove nothing personal about someone remains."""

from __future__ import annotations

import asyncpg

# Binary columns (outbox bodies, composed emails) are searched as text too.
_COLUMNS = """
    SELECT c.table_name, c.column_name, c.data_type
      FROM information_schema.columns c
      JOIN information_schema.tables t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
       AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'bytea')
"""


def _as_text(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type == "bytea":
        return f"encode({quoted}, 'escape')"
    return f"{quoted}::text"


async def find_strings(dsn: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column holding a needle, case-insensitively."""
    found: list[tuple[str, str, str]] = []
    connection = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for row in await connection.fetch(_COLUMNS):
            expression = _as_text(row["column_name"], row["data_type"])
            for needle in needles:
                hits = await connection.fetchval(
                    f'SELECT count(*) FROM "{row["table_name"]}" '
                    f"WHERE strpos(lower({expression}), lower($1)) > 0",
                    needle,
                )
                if hits:
                    found.append((row["table_name"], row["column_name"], needle))
    finally:
        await connection.close()
    return found
