"""The outbox and inbox tables. Every service's database has both, created by its first
migration through `create_messaging_tables`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

messaging_metadata = sa.MetaData()

outbox_table = sa.Table(
    "outbox",
    messaging_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("message_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("routing_key", sa.Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
)

inbox_table = sa.Table(
    "inbox",
    messaging_metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("message_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)


def create_messaging_tables(op: Any) -> None:
    """Called from a service's first Alembic migration."""
    bind = op.get_bind()
    messaging_metadata.create_all(bind)


def drop_messaging_tables(op: Any) -> None:
    messaging_metadata.drop_all(op.get_bind())
