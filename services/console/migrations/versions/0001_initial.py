"""Staff accounts, sessions, sign-in throttling, OIDC flows, the audit log, and the outbox and
inbox every service has.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def _at(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=NOW if default else None
    )


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "accounts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("oidc_subject", sa.Text, nullable=True, unique=True),
        sa.Column("roles", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("programmes", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("state", sa.Text, nullable=False, server_default="active"),
        _at("created_at"),
        _at("last_signin_at", nullable=True, default=False),
        sa.CheckConstraint("state in ('invited', 'active', 'disabled')", name="accounts_state"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column(
            "account_id",
            UUID(as_uuid=True),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        _at("created_at"),
        _at("last_seen_at"),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("user_agent", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        _at("at"),
    )
    op.create_index("signin_failures_key_at", "signin_failures", ["key", "at"])
    op.create_table(
        "oidc_flows",
        sa.Column("state", sa.Text, primary_key=True),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("code_verifier", sa.Text, nullable=False),
        sa.Column("browser_hash", sa.Text, nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "audit_log",
        sa.Column("action_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_name", sa.Text, nullable=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target_type", sa.Text, nullable=False),
        sa.Column("target_id", sa.Text, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=True),
        sa.Column("programme_id", UUID(as_uuid=True), nullable=True),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("correlation_id", sa.Text, nullable=True),
        _at("occurred_at", default=False),
        _at("recorded_at"),
    )
    op.create_index("audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("audit_log_actor", "audit_log", ["actor"])
    op.create_index("audit_log_target", "audit_log", ["target_type", "target_id"])


def downgrade() -> None:
    for table in ("audit_log", "oidc_flows", "signin_failures", "sessions", "accounts"):
        op.drop_table(table)
    drop_messaging_tables(op)
