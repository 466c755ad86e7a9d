"""The console's tables (SQLAlchemy Core): staff accounts, sessions, sign-in throttling, the
OpenID Connect sign-ins in flight, and the audit log. Migration 0001 creates them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

metadata = sa.MetaData()


def _now() -> sa.sql.elements.TextClause:
    return sa.text("now()")


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    # Stored lower-cased, so one person has one account whatever they type.
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("oidc_subject", sa.Text, nullable=True, unique=True),
    sa.Column("roles", ARRAY(sa.Text), nullable=False, server_default="{}"),
    # Programme ids the person is limited to; empty means every programme.
    sa.Column("programmes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("state", sa.Text, nullable=False, server_default="active"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Column("last_signin_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('invited', 'active', 'disabled')", name="accounts_state"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    # The SHA-256 of the cookie's value: a leaked table does not hand out live sessions.
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
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("user_agent", sa.Text, nullable=False, server_default=""),
)

signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    # `account:<email>` or `address:<ip>`.
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Index("signin_failures_key_at", "key", "at"),
)

oidc_flows = sa.Table(
    "oidc_flows",
    metadata,
    sa.Column("state", sa.Text, primary_key=True),
    sa.Column("nonce", sa.Text, nullable=False),
    sa.Column("code_verifier", sa.Text, nullable=False),
    # The browser that started the flow: the callback must come back with the same cookie.
    sa.Column("browser_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    # The action's own id: a redelivered message finds its row and adds nothing.
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
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Index("audit_log_occurred_at", "occurred_at"),
    sa.Index("audit_log_actor", "actor"),
    sa.Index("audit_log_target", "target_type", "target_id"),
)
