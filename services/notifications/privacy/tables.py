"""The suppression list: erased addresses, kept only as their keyed hash, so no campaign ever
reaches them again. Migration 0005 creates it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from services.notifications.persistence.tables import metadata

erased_addresses = sa.Table(
    "erased_addresses",
    metadata,
    sa.Column("address_hash", sa.Text, primary_key=True),
    sa.Column("request_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "erased_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
