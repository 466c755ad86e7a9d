"""Reminders before each session: a reminder names its session (the event's own id for an
event without sessions, which is what every existing row is before), and is unique per
booking, session and offset.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reminders", sa.Column("session_id", UUID(as_uuid=True)))
    # Existing reminders were timed from the event's first start, which is its first session.
    op.execute(
        """
        UPDATE reminders r SET session_id = COALESCE(
          (SELECT (s ->> 'session_id')::uuid
             FROM events e, jsonb_array_elements(e.state -> 'sessions') s
            WHERE e.event_id = r.event_id
            ORDER BY (s ->> 'starts_at')::timestamptz LIMIT 1),
          r.event_id)
        """
    )
    op.alter_column("reminders", "session_id", nullable=False)
    op.drop_constraint("uq_reminders_booking_offset", "reminders", type_="unique")
    op.create_unique_constraint(
        "uq_reminders_booking_session_offset",
        "reminders",
        ["booking_id", "session_id", "offset_seconds"],
    )


def downgrade() -> None:
    op.drop_constraint("uq_reminders_booking_session_offset", "reminders", type_="unique")
    # Keep one reminder per booking and offset (the earliest session's) so the old rule holds.
    op.execute(
        """
        DELETE FROM reminders r USING reminders o
         WHERE r.booking_id = o.booking_id AND r.offset_seconds = o.offset_seconds
           AND (r.due_at, r.id) > (o.due_at, o.id)
        """
    )
    op.create_unique_constraint(
        "uq_reminders_booking_offset", "reminders", ["booking_id", "offset_seconds"]
    )
    op.drop_column("reminders", "session_id")
