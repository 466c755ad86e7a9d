"""Privacy: the suppression list of erased addresses (keyed hashes only), and the job runs
table the retention job is claimed in (one replica per period).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from shared.scheduled_jobs import create_job_runs_table, drop_job_runs_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_addresses",
        sa.Column("address_hash", sa.Text, primary_key=True),
        sa.Column("request_id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "erased_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    create_job_runs_table(op)


def downgrade() -> None:
    drop_job_runs_table(op)
    op.drop_table("erased_addresses")
