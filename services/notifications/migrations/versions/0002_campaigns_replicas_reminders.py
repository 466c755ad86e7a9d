"""Delivery rows become the sending queue's state (claims, stored MIME, park reasons); replicas
of bookings and cohort rosters; campaigns with their recipients and chunks; opt-outs; reminders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _deliveries() -> None:
    # Bodies were stored as text/html columns; the composed MIME message replaces them.
    op.drop_column("deliveries", "body_text")
    op.drop_column("deliveries", "body_html")
    op.add_column("deliveries", sa.Column("campaign_id", UUID(as_uuid=True)))
    op.add_column("deliveries", sa.Column("recipient_name", sa.Text))
    op.add_column("deliveries", sa.Column("message", sa.LargeBinary))
    op.add_column("deliveries", sa.Column("message_id", sa.Text))
    op.add_column("deliveries", sa.Column("parked_reason", sa.Text))
    op.add_column("deliveries", sa.Column("claimed_by", sa.Integer))
    op.add_column("deliveries", sa.Column("updated_at", sa.DateTime(timezone=True)))
    # No index on `state` (or any column a send changes): each email changes its row twice
    # (sending, sent), and with room left on the page those updates stay HOT, touching no
    # index at all. Staff look deliveries up by booking or campaign.
    op.create_index("ix_deliveries_campaign", "deliveries", ["campaign_id"])
    # The sweeper's scan of recent transactional emails (columns that never change: HOT-safe).
    op.create_index(
        "ix_deliveries_transactional_created",
        "deliveries",
        ["created_at"],
        postgresql_where=sa.text("campaign_id IS NULL"),
    )
    op.execute("ALTER TABLE deliveries SET (fillfactor = 70)")


def _replicas() -> None:
    op.create_table(
        "bookings",
        sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), index=True),
        sa.Column("state", JSONB, nullable=False),
    )
    op.create_table(
        "cohort_members",
        sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "opt_outs",
        sa.Column("email_key", sa.Text, primary_key=True),
        sa.Column("campaign_id", UUID(as_uuid=True)),
        _created_at(),
    )


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("cohort_ids", JSONB, nullable=False),
        sa.Column("emails", JSONB, nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("opted_out", sa.Integer, nullable=False, server_default="0"),
        sa.Column("chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("invitation_expires_at", sa.DateTime(timezone=True)),
        sa.Column("correlation_id", sa.Text),
        _created_at(),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_campaigns_scheduled",
        "campaigns",
        ["send_at"],
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "campaign_chunks",
        sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("chunk", sa.Integer, primary_key=True),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    )


def _reminders() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("booking_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("offset_seconds", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("note", sa.Text),
        _created_at(),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("booking_id", "offset_seconds", name="uq_reminders_booking_offset"),
    )
    op.create_index(
        "ix_reminders_pending_due",
        "reminders",
        ["due_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def upgrade() -> None:
    _deliveries()
    _replicas()
    _campaigns()
    _reminders()


def downgrade() -> None:
    for table in (
        "reminders",
        "campaign_chunks",
        "campaign_recipients",
        "campaigns",
        "opt_outs",
        "cohort_members",
        "bookings",
    ):
        op.drop_table(table)
    op.execute("ALTER TABLE deliveries RESET (fillfactor)")
    op.drop_index("ix_deliveries_transactional_created", "deliveries")
    op.drop_index("ix_deliveries_campaign", "deliveries")
    for column in (
        "updated_at",
        "claimed_by",
        "parked_reason",
        "message_id",
        "message",
        "recipient_name",
        "campaign_id",
    ):
        op.drop_column("deliveries", column)
    op.add_column("deliveries", sa.Column("body_text", sa.Text, nullable=False, server_default=""))
    op.add_column("deliveries", sa.Column("body_html", sa.Text, nullable=False, server_default=""))
