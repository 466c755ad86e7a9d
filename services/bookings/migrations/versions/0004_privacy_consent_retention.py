"""Privacy: when a booking's consent to future contact was given and which privacy notice
version the person saw, and the job runs table the retention job is claimed in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.scheduled_jobs import create_job_runs_table, drop_job_runs_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("consent_recorded_at", sa.DateTime(timezone=True)))
    op.add_column("bookings", sa.Column("privacy_notice_version", sa.Text))
    op.add_column("bookings", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    create_job_runs_table(op)


def downgrade() -> None:
    drop_job_runs_table(op)
    op.drop_column("bookings", "anonymised_at")
    op.drop_column("bookings", "privacy_notice_version")
    op.drop_column("bookings", "consent_recorded_at")
