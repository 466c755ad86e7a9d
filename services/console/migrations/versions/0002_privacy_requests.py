"""Privacy requests (export, erasure of one address across the services), each service's
answer to them, and the job runs table of the job that drops expired export archives.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.scheduled_jobs import create_job_runs_table, drop_job_runs_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("address_hash", sa.Text, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_by_name", sa.Text),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        # An export's finished archive, until its link expires; never kept for an erasure.
        sa.Column("archive", JSONB),
        sa.CheckConstraint("kind in ('export', 'erasure')", name="privacy_requests_kind"),
    )
    op.create_index("ix_privacy_requests_requested_at", "privacy_requests", ["requested_at"])
    op.create_table(
        "privacy_answers",
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
        sa.Column("records", JSONB),
        sa.Column("counts", JSONB),
    )
    # The job that drops export archives whose link expired (one replica per period).
    create_job_runs_table(op)


def downgrade() -> None:
    drop_job_runs_table(op)
    op.drop_table("privacy_answers")
    op.drop_table("privacy_requests")
