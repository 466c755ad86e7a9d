"""The catalogue's tables (SQLAlchemy Core). Migrations 0001 and 0002 create them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

metadata = sa.MetaData()


def _uuid_pk() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def _fk(table: str, *, cascade: bool = False, nullable: bool = False) -> sa.Column:
    return sa.Column(
        f"{table.rstrip('s')}_id",
        UUID(as_uuid=True),
        sa.ForeignKey(f"{table}.id", ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=nullable,
    )


programmes = sa.Table(
    "programmes",
    metadata,
    _uuid_pk(),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    *_timestamps(),
    # Privacy (migration 0004): the notice beside the optional booking fields.
    sa.Column("privacy_notice_url", sa.Text, nullable=False, server_default=""),
    sa.Column("privacy_notice_version", sa.Text, nullable=False, server_default=""),
)

expectations = sa.Table(
    "expectations",
    metadata,
    _uuid_pk(),
    _fk("programmes", cascade=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False),
    sa.UniqueConstraint("programme_id", "code", name="uq_expectations_code"),
)

cohorts = sa.Table(
    "cohorts",
    metadata,
    _uuid_pk(),
    _fk("programmes"),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date),
    # Grows with every roster change; each member message carries the value after its change.
    sa.Column("roster_version", sa.Integer, nullable=False, server_default="0"),
    *_timestamps(),
    sa.UniqueConstraint("programme_id", "number", name="uq_cohorts_number"),
    sa.CheckConstraint("ends_on >= starts_on", name="ck_cohorts_dates"),
)

cohort_members = sa.Table(
    "cohort_members",
    metadata,
    _uuid_pk(),
    _fk("cohorts", cascade=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("email_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.Text, nullable=False, server_default=""),
    *_timestamps(),
    sa.UniqueConstraint("cohort_id", "email_key", name="uq_cohort_members_email"),
)

venues = sa.Table(
    "venues",
    metadata,
    _uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("accessibility", sa.Text, nullable=False, server_default=""),
    sa.Column("map_url", sa.Text),
    *_timestamps(),
)

people = sa.Table(
    "people",
    metadata,
    _uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("organisation", sa.Text, nullable=False, server_default=""),
    *_timestamps(),
)

events = sa.Table(
    "events",
    metadata,
    _uuid_pk(),
    _fk("programmes", nullable=True),
    sa.Column("slug", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False, server_default="event"),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("timezone", sa.Text, nullable=False, server_default="Europe/London"),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    _fk("venues", nullable=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("options_within_capacity", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("audience_kind", sa.Text, nullable=False, server_default="public"),
    sa.Column("booking_opens_at", sa.DateTime(timezone=True)),
    sa.Column("booking_closes_at", sa.DateTime(timezone=True)),
    sa.Column("waitlist_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.Text, nullable=False, server_default="draft"),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancel_reason", sa.Text, nullable=False, server_default=""),
    *_timestamps(),
    sa.CheckConstraint("ends_at > starts_at", name="ck_events_ends_after_starts"),
    sa.CheckConstraint("capacity >= 0", name="ck_events_capacity"),
    sa.UniqueConstraint(
        "programme_id", "slug", name="uq_events_programme_slug", postgresql_nulls_not_distinct=True
    ),
)

event_sessions = sa.Table(
    "event_sessions",
    metadata,
    _uuid_pk(),
    _fk("events", cascade=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
)

event_options = sa.Table(
    "event_options",
    metadata,
    _uuid_pk(),
    _fk("events", cascade=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("capacity", sa.Integer, nullable=False),
    # The option's group, kept on each option (a group exists only with its options); NULL
    # for the unnamed group every event had before groups (migration 0004).
    sa.Column("group_id", UUID(as_uuid=True)),
    sa.Column("group_name", sa.Text, nullable=False, server_default=""),
    sa.Column("group_required", sa.Boolean, nullable=False, server_default=sa.true()),
)

event_audience_cohorts = sa.Table(
    "event_audience_cohorts",
    metadata,
    sa.Column(
        "event_id",
        UUID(as_uuid=True),
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("cohort_id", UUID(as_uuid=True), sa.ForeignKey("cohorts.id"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
)

event_people = sa.Table(
    "event_people",
    metadata,
    sa.Column(
        "event_id",
        UUID(as_uuid=True),
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id"), nullable=False),
    sa.Column("role", sa.Text, nullable=False, server_default=""),
    sa.Column("day", sa.Date),
)

event_resources = sa.Table(
    "event_resources",
    metadata,
    _uuid_pk(),
    _fk("events", cascade=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False, server_default="other"),
)

event_expectations = sa.Table(
    "event_expectations",
    metadata,
    sa.Column(
        "event_id",
        UUID(as_uuid=True),
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "expectation_id", UUID(as_uuid=True), sa.ForeignKey("expectations.id"), primary_key=True
    ),
    sa.Column("position", sa.Integer, nullable=False),
)

sa.Index("ix_events_status_starts", events.c.status, events.c.starts_at)
sa.Index("ix_events_venue", events.c.venue_id)
sa.Index("ix_event_sessions_event", event_sessions.c.event_id)
sa.Index("ix_event_options_event", event_options.c.event_id)
sa.Index("ix_event_resources_event", event_resources.c.event_id)
sa.Index("ix_event_audience_cohort", event_audience_cohorts.c.cohort_id)
sa.Index("ix_event_people_person", event_people.c.person_id)

# Each booking's latest known status, from bookings' messages (applied by version).
booking_tally = sa.Table(
    "booking_tally",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    # Every option the booking holds, one per option group (migration 0004).
    sa.Column(
        "option_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")
    ),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
