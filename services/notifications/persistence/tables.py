"""The notifications service's tables (SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = sa.MetaData()


def _now() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


# One row per email, its life cycle in domain/deliveries.py. `dedupe_key` makes a second copy
# of the same email impossible to queue; `claim_token` and `lease_until` say which sender holds
# it while `sending` (only the current token may record the outcome).
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("dedupe_key", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("booking_id", UUID(as_uuid=True), index=True),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("campaign_id", UUID(as_uuid=True)),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("recipient_name", sa.Text),
    sa.Column("subject", sa.Text, nullable=False),
    # The whole MIME message, composed when queued; campaign emails are composed at send time
    # from the campaign and the invitee instead (10,000 copies of one body are not stored).
    sa.Column("message", sa.LargeBinary),
    sa.Column("message_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    # Why deferred, failed or suppressed: a domain.deliveries.Reason code.
    sa.Column("reason", sa.Text),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("smtp_message_id", sa.Text),
    sa.Column("correlation_id", sa.Text),
    sa.Column("claim_token", UUID(as_uuid=True)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    _now(),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index("ix_deliveries_campaign", "campaign_id"),
    sa.Index("ix_deliveries_recipient_lower", sa.text("lower(recipient)")),
    sa.Index(
        "ix_deliveries_rejected_recipient",
        sa.text("lower(recipient)"),
        postgresql_where=sa.text("state = 'failed' AND reason = 'rejected'"),
    ),
    sa.Index(
        "ix_deliveries_transactional_created",
        "created_at",
        postgresql_where=sa.text("campaign_id IS NULL"),
    ),
    # Migration 0003: the retry pass, the lease sweep and the per-recipient hourly cap.
    sa.Index(
        "ix_deliveries_deferred_due",
        "next_attempt_at",
        postgresql_where=sa.text("state = 'deferred'"),
    ),
    sa.Index(
        "ix_deliveries_sending_lease",
        "lease_until",
        postgresql_where=sa.text("state = 'sending'"),
    ),
    sa.Index(
        "ix_deliveries_recipient_recent",
        sa.text("lower(recipient)"),
        "created_at",
        postgresql_where=sa.text("campaign_id IS NULL"),
    ),
    sa.CheckConstraint(
        "state IN ('queued','sending','sent','deferred','failed','suppressed','cancelled')",
        name="ck_deliveries_state",
    ),
    sa.CheckConstraint(
        "reason IS NULL OR reason IN ('server_unavailable','temporary_refusal','rejected',"
        "'unsendable','deadline','recipient_cap','opted_out','suppressed','declined')",
        name="ck_deliveries_reason",
    ),
    postgresql_with={"fillfactor": 70},
)

# The catalogue's events as last seen (full state), applied by version.
events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", JSONB, nullable=False),
)

# Bookings as last seen, applied by version: who is confirmed when an event changes, whether
# a reminder is still wanted, and which bookings came from a campaign.
bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("campaign_id", UUID(as_uuid=True), index=True),
    sa.Column("state", JSONB, nullable=False),
)

# Cohort rosters: one row per member, kept after removal (a tombstone) so an older "added"
# arriving late cannot bring a removed member back.
cohort_members = sa.Table(
    "cohort_members",
    metadata,
    sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("member_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Addresses (trimmed, lower case) that asked for no more campaign emails.
opt_outs = sa.Table(
    "opt_outs",
    metadata,
    sa.Column("email_key", sa.Text, primary_key=True),
    sa.Column("campaign_id", UUID(as_uuid=True)),
    _now(),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("cohort_ids", JSONB, nullable=False),
    sa.Column("emails", JSONB, nullable=False),
    sa.Column("send_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    sa.Column("opted_out", sa.Integer, nullable=False, server_default="0"),
    sa.Column("chunks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("invitation_expires_at", sa.DateTime(timezone=True)),
    sa.Column("correlation_id", sa.Text),
    _now(),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    # invitation, follow_up (of `parent_id`: its invitees not booked) or announcement (to
    # those booked, narrowed by `filters`: statuses, option ids).
    sa.Column("kind", sa.Text, nullable=False, server_default="invitation"),
    sa.Column("parent_id", UUID(as_uuid=True)),
    sa.Column("filters", JSONB),
    sa.Index("ix_campaigns_created", "created_at"),
    sa.Index("ix_campaigns_scheduled", "send_at", postgresql_where=sa.text("status = 'scheduled'")),
)

# The audience as resolved at launch, numbered, so a chunk is a range of positions.
campaign_recipients = sa.Table(
    "campaign_recipients",
    metadata,
    sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
)

# One row per work item: pending until its invitees are all sent (or given up).
campaign_chunks = sa.Table(
    "campaign_chunks",
    metadata,
    sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("chunk", sa.Integer, primary_key=True),
    sa.Column("first_seq", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
)

# Reminders to send before each session: pending -> queued, or dropped (late) / cancelled.
reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("booking_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    # The session it is before; the event's own id for an event without sessions.
    sa.Column("session_id", UUID(as_uuid=True), nullable=False),
    sa.Column("offset_seconds", sa.Integer, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("note", sa.Text),
    _now(),
    sa.Column("handled_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint(
        "booking_id", "session_id", "offset_seconds", name="uq_reminders_booking_session_offset"
    ),
    sa.Index("ix_reminders_pending_due", "due_at", postgresql_where=sa.text("state = 'pending'")),
)

# Who a launched campaign left out, and why (domain/audience.py's reasons).
campaign_exclusions = sa.Table(
    "campaign_exclusions",
    metadata,
    sa.Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("email_key", sa.Text, primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False),
)

# An invitee's answer from the email ("I can't come"), per event: no reminders after it.
invitee_answers = sa.Table(
    "invitee_answers",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("email_key", sa.Text, primary_key=True),
    sa.Column("campaign_id", UUID(as_uuid=True)),
    sa.Column("answer", sa.Text, nullable=False),
    _now(),
)

# Hard bounces (failed deliveries, reason `rejected`) are the suppression list; staff lifting
# an address is recorded here, and only bounces after it count again.
suppression_lifts = sa.Table(
    "suppression_lifts",
    metadata,
    sa.Column("email_key", sa.Text, primary_key=True),
    sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lifted_by", sa.Text),
)
