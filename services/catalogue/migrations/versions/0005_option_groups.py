"""Option groups: each option names its group (id, name, required), and the booking tally
keeps every option a booking holds.

Existing options stay in the unnamed, required group (group_id NULL here, the event's id in
messages), so events with one set of options work as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event_options", sa.Column("group_id", UUID(as_uuid=True)))
    op.add_column(
        "event_options", sa.Column("group_name", sa.Text, nullable=False, server_default="")
    )
    op.add_column(
        "event_options",
        sa.Column("group_required", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "booking_tally",
        sa.Column(
            "option_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
        ),
    )
    op.execute("UPDATE booking_tally SET option_ids = ARRAY[option_id] WHERE option_id IS NOT NULL")
    op.drop_column("booking_tally", "option_id")


def downgrade() -> None:
    op.add_column("booking_tally", sa.Column("option_id", UUID(as_uuid=True)))
    op.execute("UPDATE booking_tally SET option_id = option_ids[1]")
    op.drop_column("booking_tally", "option_ids")
    for column in ("group_required", "group_name", "group_id"):
        op.drop_column("event_options", column)
