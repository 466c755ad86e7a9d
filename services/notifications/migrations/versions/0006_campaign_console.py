"""Campaigns staff run from the console: kinds (invitation, follow-up, announcement), who was
left out at launch and why, invitees' answers, lifted suppressions.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


_OLD_REASONS = (
    "('server_unavailable','temporary_refusal','rejected','unsendable','deadline','recipient_cap')"
)
# A campaign email cancelled in flight says why: the address opted out, is suppressed after a
# hard bounce, or the invitee answered that they cannot come.
_REASONS = (
    "('server_unavailable','temporary_refusal','rejected','unsendable','deadline','recipient_cap',"
    "'opted_out','suppressed','declined')"
)


def _reasons(allowed: str) -> None:
    op.drop_constraint("ck_deliveries_reason", "deliveries")
    op.create_check_constraint(
        "ck_deliveries_reason", "deliveries", f"reason IS NULL OR reason IN {allowed}"
    )


def upgrade() -> None:
    _reasons(_REASONS)
    op.add_column(
        "campaigns", sa.Column("kind", sa.Text, nullable=False, server_default="invitation")
    )
    op.add_column("campaigns", sa.Column("parent_id", UUID(as_uuid=True)))
    op.add_column("campaigns", sa.Column("filters", JSONB))
    op.create_index("ix_campaigns_created", "campaigns", ["created_at"])
    op.create_table(
        "campaign_exclusions",
        sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email_key", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "invitee_answers",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email_key", sa.Text, primary_key=True),
        sa.Column("campaign_id", UUID(as_uuid=True)),
        sa.Column("answer", sa.Text, nullable=False),
        _created_at(),
    )
    op.create_table(
        "suppression_lifts",
        sa.Column("email_key", sa.Text, primary_key=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.Text),
    )
    # Hard bounces are the suppression list: read from the deliveries themselves by address.
    op.create_index(
        "ix_deliveries_rejected_recipient",
        "deliveries",
        [sa.text("lower(recipient)")],
        postgresql_where=sa.text("state = 'failed' AND reason = 'rejected'"),
    )
    op.create_index("ix_deliveries_recipient_lower", "deliveries", [sa.text("lower(recipient)")])


def downgrade() -> None:
    op.execute(
        "UPDATE deliveries SET reason = NULL WHERE reason IN ('opted_out','suppressed','declined')"
    )
    _reasons(_OLD_REASONS)
    op.drop_index("ix_deliveries_recipient_lower", "deliveries")
    op.drop_index("ix_deliveries_rejected_recipient", "deliveries")
    op.drop_table("suppression_lifts")
    op.drop_table("invitee_answers")
    op.drop_table("campaign_exclusions")
    op.drop_index("ix_campaigns_created", "campaigns")
    op.drop_column("campaigns", "filters")
    op.drop_column("campaigns", "parent_id")
    op.drop_column("campaigns", "kind")
