"""The bookings service's tables (SQLAlchemy Core). The migrations build the same."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = sa.MetaData()

# The bookable facts of each event, from catalogue messages, plus the counters capacity is
# decided on. This row is the lock every change to the event's places takes first, in every
# process: whoever holds it decides, so counters and decisions always agree.
event_replicas = sa.Table(
    "event_replicas",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("waitlist_enabled", sa.Boolean, nullable=False),
    sa.Column("state", JSONB, nullable=False),
    sa.Column("confirmed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("waiting", sa.Integer, nullable=False, server_default="0"),
    sa.Column("waitlist_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("audience_kind", sa.Text, nullable=False, server_default="public"),
    sa.Column(
        "cohort_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
    ),
    sa.Column("booking_opens_at", sa.DateTime(timezone=True)),
    sa.Column("booking_closes_at", sa.DateTime(timezone=True)),
)

# An event's options (the dinner's activities), each with its own places and counters,
# changed only under the event row's lock.
event_options = sa.Table(
    "event_options",
    metadata,
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
    # An option the catalogue no longer lists: its bookings stay, nobody new joins it.
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    # The option's group, kept on each option (a group is only ever read with its options):
    # a booking holds at most one option per group and needs one of a required group.
    sa.Column("group_id", UUID(as_uuid=True), nullable=False),
    sa.Column("group_name", sa.Text, nullable=False, server_default=""),
    sa.Column("group_required", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("group_position", sa.Integer, nullable=False, server_default="0"),
)

# The replica of cohort rosters, by member, applied by the cohort's roster version; a removed
# member stays as a tombstone so a stale "added" cannot bring them back.
cohort_members = sa.Table(
    "cohort_members",
    metadata,
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
    sa.Index("ix_cohort_members_email", "email_key", "cohort_id"),
)

# Campaigns staff cancelled (from notifications' campaign progress): their invitations no
# longer admit anyone. Only the cancelled ones are kept: nothing else about a campaign matters
# here, and a cancelled campaign never runs again.
cancelled_campaigns = sa.Table(
    "cancelled_campaigns",
    metadata,
    sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "cancelled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "event_id", UUID(as_uuid=True), sa.ForeignKey("event_replicas.event_id"), nullable=False
    ),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("waitlist_seq", sa.BigInteger),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("email_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text, nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The options held, one per option group at most, in the groups' order (migration 0005).
    sa.Column(
        "option_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
    ),
    sa.Column("role", sa.Text, nullable=False, server_default=""),
    sa.Column("sector", sa.Text),
    sa.Column("dietary_needs", sa.Text, nullable=False, server_default=""),
    sa.Column("access_needs", sa.Text, nullable=False, server_default=""),
    sa.Column("consent_to_contact", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("partner_id", UUID(as_uuid=True)),
    sa.Column("campaign_id", UUID(as_uuid=True)),
    sa.Column("cancelled_by", sa.Text),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("was_status", sa.Text),
    sa.Column("link_resent_at", sa.DateTime(timezone=True)),
    # Privacy (migration 0004): when consent to future contact was given and the
    # privacy notice version shown, and when retention made the booking anonymous.
    sa.Column("consent_recorded_at", sa.DateTime(timezone=True)),
    sa.Column("privacy_notice_version", sa.Text),
    sa.Column("anonymised_at", sa.DateTime(timezone=True)),
    # The last line of defence under every lock: one active booking per person per event.
    sa.Index(
        "uq_bookings_one_active_per_email",
        "event_id",
        "email_key",
        unique=True,
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"),
    ),
    sa.Index("ix_bookings_event_status_seq", "event_id", "status", "waitlist_seq"),
    sa.Index("ix_bookings_event_created", "event_id", "created_at"),
)

# Attendance is per session, so a two-day immersion records who came on each day; an event
# without sessions records it against the event id.
attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), sa.ForeignKey("bookings.id"), primary_key=True),
    sa.Column("session_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("marked_by", sa.Text, nullable=False),
    sa.Column(
        "marked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# The first answer to each Idempotency-Key, written in the transaction that made it.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.LargeBinary, nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("answer", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("ix_idempotency_keys_created", "created_at"),
)

# Sites that embed the booking widget: a public key and the origins allowed to use it.
partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("allowed_origins", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
