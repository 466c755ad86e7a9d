"""Options with their own places, audience and booking window on the replica, cohort rosters,
full attendee fields, attendance per session, idempotency keys and partners.

Manage tokens become an HMAC of the booking id (rebuilt for every message), so the stored
token hash goes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _replica_columns() -> None:
    op.add_column(
        "event_replicas",
        sa.Column("audience_kind", sa.Text, nullable=False, server_default="public"),
    )
    op.add_column(
        "event_replicas",
        sa.Column(
            "cohort_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
        ),
    )
    op.add_column("event_replicas", sa.Column("booking_opens_at", sa.DateTime(timezone=True)))
    op.add_column("event_replicas", sa.Column("booking_closes_at", sa.DateTime(timezone=True)))


def _booking_columns() -> None:
    op.drop_column("bookings", "manage_token_hash")
    op.add_column("bookings", sa.Column("option_id", UUID(as_uuid=True)))
    op.add_column("bookings", sa.Column("role", sa.Text, nullable=False, server_default=""))
    op.add_column("bookings", sa.Column("sector", sa.Text))
    op.add_column(
        "bookings", sa.Column("dietary_needs", sa.Text, nullable=False, server_default="")
    )
    op.add_column("bookings", sa.Column("access_needs", sa.Text, nullable=False, server_default=""))
    op.add_column(
        "bookings",
        sa.Column("consent_to_contact", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("bookings", sa.Column("partner_id", UUID(as_uuid=True)))
    op.add_column("bookings", sa.Column("campaign_id", UUID(as_uuid=True)))
    op.add_column("bookings", sa.Column("cancelled_by", sa.Text))
    op.add_column("bookings", sa.Column("cancel_reason", sa.Text))
    op.add_column("bookings", sa.Column("was_status", sa.Text))
    op.add_column("bookings", sa.Column("link_resent_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_bookings_event_status_seq", "bookings", ["event_id", "status", "waitlist_seq"]
    )
    op.create_index("ix_bookings_event_created", "bookings", ["event_id", "created_at"])


def upgrade() -> None:
    _replica_columns()
    _booking_columns()
    op.create_table(
        "event_options",
        sa.Column(
            "event_id",
            UUID(as_uuid=True),
            sa.ForeignKey("event_replicas.event_id"),
            primary_key=True,
        ),
        sa.Column("option_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("confirmed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("waiting", sa.Integer, nullable=False, server_default="0"),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "cohort_members",
        sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("organisation", sa.Text, nullable=False, server_default=""),
        sa.Column("role", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_cohort_members_email", "cohort_members", ["email_key", "cohort_id"])
    op.create_table(
        "attendance",
        sa.Column("booking_id", UUID(as_uuid=True), sa.ForeignKey("bookings.id"), primary_key=True),
        sa.Column("session_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("marked_by", sa.Text, nullable=False),
        sa.Column(
            "marked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.LargeBinary, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("answer", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])
    op.create_table(
        "partners",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column(
            "allowed_origins", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")
        ),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(LOCK_BATCH)


# The booking batch takes the event's row lock and reads everything it decides on in one
# round trip: the lock first, then (a new statement, so a snapshot taken after the lock) the
# options' counters, the active bookings of the batch's addresses, earlier answers to its
# idempotency keys and roster membership. The decisions themselves stay in Python.
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
    (SELECT coalesce(json_agg(json_build_array(o.option_id, o.name, o.capacity, o.confirmed,
                     o.waiting, o.withdrawn, o.description, o.position) ORDER BY o.position),
                     '[]'::json)
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


def downgrade() -> None:
    op.execute("DROP FUNCTION bookings_lock_batch(uuid, text[], text[])")
    for table in ("partners", "idempotency_keys", "attendance", "cohort_members", "event_options"):
        op.drop_table(table)
    op.drop_index("ix_bookings_event_created", "bookings")
    op.drop_index("ix_bookings_event_status_seq", "bookings")
    for column in (
        "link_resent_at", "was_status", "cancel_reason", "cancelled_by", "campaign_id",
        "partner_id", "consent_to_contact", "access_needs", "dietary_needs", "sector", "role",
        "option_id",
    ):  # fmt: skip
        op.drop_column("bookings", column)
    # Old rows get an unguessable placeholder; their manage links were HMACs, not stored.
    op.add_column("bookings", sa.Column("manage_token_hash", sa.LargeBinary))
    op.execute("UPDATE bookings SET manage_token_hash = sha256(id::text::bytea)")
    op.alter_column("bookings", "manage_token_hash", nullable=False)
    op.create_unique_constraint("bookings_manage_token_hash_key", "bookings", ["manage_token_hash"])
    for column in ("booking_closes_at", "booking_opens_at", "cohort_ids", "audience_kind"):
        op.drop_column("event_replicas", column)
