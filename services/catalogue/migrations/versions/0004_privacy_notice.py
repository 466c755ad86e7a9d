"""Privacy: each programme's privacy notice (its address and version), shown beside the
optional booking fields and recorded with each booking.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("privacy_notice_url", "privacy_notice_version"):
        op.add_column("programmes", sa.Column(column, sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    for column in ("privacy_notice_version", "privacy_notice_url"):
        op.drop_column("programmes", column)
