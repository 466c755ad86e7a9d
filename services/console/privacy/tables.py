"""Privacy requests and the services' answers (migration 0002 creates them). An
erasure request holds only the address's keyed hash, never the address."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.console.persistence.tables import metadata

privacy_requests = sa.Table(
    "privacy_requests",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("address_hash", sa.Text, nullable=False),
    # An export's address, to send its link, until the link expires; never for an erasure.
    sa.Column("email", sa.Text),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_by_name", sa.Text),
    sa.Column(
        "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("archive", JSONB(none_as_null=True)),
    sa.CheckConstraint("kind in ('export', 'erasure')", name="privacy_requests_kind"),
    sa.Index("ix_privacy_requests_requested_at", "requested_at"),
)

privacy_answers = sa.Table(
    "privacy_answers",
    metadata,
    sa.Column(
        "request_id",
        UUID(as_uuid=True),
        sa.ForeignKey("privacy_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("service", sa.Text, primary_key=True),
    sa.Column(
        "answered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("records", JSONB(none_as_null=True)),
    sa.Column("counts", JSONB(none_as_null=True)),
)
