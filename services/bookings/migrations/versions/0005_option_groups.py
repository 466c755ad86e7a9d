"""Option groups: each option names its group (with the group's name, rule and place), and a
booking holds a list of options, one per group at most.

Existing options go into one required group whose id is the event's (the catalogue's
migration and `EventState` give them the same), and each booking's option becomes a list of
one, so events with one set of options work as before.

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
    op.execute("UPDATE event_options SET group_id = event_id")
    op.alter_column("event_options", "group_id", nullable=False)
    op.add_column(
        "event_options", sa.Column("group_name", sa.Text, nullable=False, server_default="")
    )
    op.add_column(
        "event_options",
        sa.Column("group_required", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "event_options",
        sa.Column("group_position", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column(
        "bookings",
        sa.Column(
            "option_ids",
            ARRAY(UUID(as_uuid=True)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
    )
    op.execute("UPDATE bookings SET option_ids = ARRAY[option_id] WHERE option_id IS NOT NULL")
    op.drop_column("bookings", "option_id")
    op.execute("DROP FUNCTION bookings_lock_batch(uuid, text[], text[])")
    op.execute(LOCK_BATCH.format(options=_OPTIONS_WITH_GROUPS))


def downgrade() -> None:
    op.execute("DROP FUNCTION bookings_lock_batch(uuid, text[], text[])")
    op.execute(LOCK_BATCH.format(options=_OPTIONS_0002))
    op.add_column("bookings", sa.Column("option_id", UUID(as_uuid=True)))
    # A booking with choices in several groups keeps the first group's.
    op.execute("UPDATE bookings SET option_id = option_ids[1]")
    op.drop_column("bookings", "option_ids")
    for column in ("group_position", "group_required", "group_name", "group_id"):
        op.drop_column("event_options", column)


_OPTIONS_0002 = """json_build_array(o.option_id, o.name, o.capacity, o.confirmed,
                     o.waiting, o.withdrawn, o.description, o.position) ORDER BY o.position"""
_OPTIONS_WITH_GROUPS = """json_build_array(o.option_id, o.name, o.capacity, o.confirmed,
                     o.waiting, o.withdrawn, o.description, o.position, o.group_id,
                     o.group_name, o.group_required, o.group_position)
                     ORDER BY o.group_position, o.position"""

# Migration 0002's function, with each option's group (persistence/batch.py reads it).
LOCK_BATCH = """
CREATE FUNCTION bookings_lock_batch(p_event uuid, p_emails text[], p_keys text[])
RETURNS TABLE (
  event_id uuid, version int, status text, title text, starts_at timestamptz,
  ends_at timestamptz, audience_kind text, cohort_ids uuid[], booking_opens_at timestamptz,
  booking_closes_at timestamptz, capacity int, waitlist_enabled boolean, confirmed int,
  waiting int, waitlist_seq bigint, options json, active json, stored json, on_roster json
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ev event_replicas%ROWTYPE;
BEGIN
  SELECT * INTO ev FROM event_replicas e WHERE e.event_id = p_event FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT
    ev.event_id, ev.version, ev.status, ev.title, ev.starts_at, ev.ends_at, ev.audience_kind,
    ev.cohort_ids, ev.booking_opens_at, ev.booking_closes_at, ev.capacity,
    ev.waitlist_enabled, ev.confirmed, ev.waiting, ev.waitlist_seq,
    (SELECT coalesce(json_agg({options}), '[]'::json)
       FROM event_options o WHERE o.event_id = p_event),
    (SELECT coalesce(json_agg(json_build_array(b.email_key, b.id)), '[]'::json)
       FROM bookings b
      WHERE b.event_id = p_event AND b.email_key = ANY(p_emails)
        AND b.status IN ('confirmed', 'waitlisted')),
    (SELECT coalesce(json_agg(json_build_array(k.key, encode(k.fingerprint, 'base64'), k.answer)),
                     '[]'::json)
       FROM idempotency_keys k WHERE k.key = ANY(p_keys)),
    (SELECT coalesce(json_agg(DISTINCT m.email_key), '[]'::json)
       FROM cohort_members m
      WHERE ev.audience_kind = 'cohorts' AND m.cohort_id = ANY(ev.cohort_ids)
        AND m.email_key = ANY(p_emails) AND NOT m.removed);
END
$$;
"""
