"""Programmes with leadership expectations, cohorts and rosters, venues, people, and events with
sessions, options, audience, booking window, people, resources and expectations.

Existing events keep working: they get no programme, and one session spanning the event.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def _event_fk() -> sa.Column:
    return sa.Column(
        "event_id",
        UUID(as_uuid=True),
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
    )


def _create_reference_tables() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        *_timestamps(),
    )
    op.create_table(
        "expectations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "programme_id",
            UUID(as_uuid=True),
            sa.ForeignKey("programmes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("programme_id", "code", name="uq_expectations_code"),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "programme_id",
            UUID(as_uuid=True),
            sa.ForeignKey("programmes.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date),
        sa.Column("ends_on", sa.Date),
        sa.Column("roster_version", sa.Integer, nullable=False, server_default="0"),
        *_timestamps(),
        sa.UniqueConstraint("programme_id", "number", name="uq_cohorts_number"),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_cohorts_dates"),
    )
    op.create_table(
        "cohort_members",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "cohort_id",
            UUID(as_uuid=True),
            sa.ForeignKey("cohorts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("email_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False, server_default=""),
        sa.Column("role", sa.Text, nullable=False, server_default=""),
        *_timestamps(),
        sa.UniqueConstraint("cohort_id", "email_key", name="uq_cohort_members_email"),
    )
    op.create_table(
        "venues",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("accessibility", sa.Text, nullable=False, server_default=""),
        sa.Column("map_url", sa.Text),
        *_timestamps(),
    )
    op.create_table(
        "people",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("organisation", sa.Text, nullable=False, server_default=""),
        *_timestamps(),
    )


def _extend_events() -> None:
    op.add_column(
        "events",
        sa.Column(
            "programme_id", UUID(as_uuid=True), sa.ForeignKey("programmes.id", ondelete="RESTRICT")
        ),
    )
    op.add_column("events", sa.Column("description", sa.Text, nullable=False, server_default=""))
    op.add_column(
        "events",
        sa.Column("venue_id", UUID(as_uuid=True), sa.ForeignKey("venues.id", ondelete="RESTRICT")),
    )
    op.add_column(
        "events",
        sa.Column("options_within_capacity", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "events", sa.Column("audience_kind", sa.Text, nullable=False, server_default="public")
    )
    op.add_column("events", sa.Column("booking_opens_at", sa.DateTime(timezone=True)))
    op.add_column("events", sa.Column("booking_closes_at", sa.DateTime(timezone=True)))
    op.add_column("events", sa.Column("cancel_reason", sa.Text, nullable=False, server_default=""))
    # Slugs are unique per programme; events without a programme share one namespace.
    op.drop_constraint("uq_events_slug", "events", type_="unique")
    op.execute(
        "ALTER TABLE events ADD CONSTRAINT uq_events_programme_slug "
        "UNIQUE NULLS NOT DISTINCT (programme_id, slug)"
    )
    op.create_index("ix_events_status_starts", "events", ["status", "starts_at"])


def _create_event_parts() -> None:
    op.create_table(
        "event_sessions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _event_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "event_options",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _event_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("capacity", sa.Integer, nullable=False),
    )
    op.create_table(
        "event_audience_cohorts",
        sa.Column(
            "event_id",
            UUID(as_uuid=True),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cohort_id", UUID(as_uuid=True), sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "event_people",
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
    op.create_table(
        "event_resources",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _event_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False, server_default="other"),
    )
    op.create_table(
        "event_expectations",
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
    for table in ("event_sessions", "event_options", "event_resources"):
        op.create_index(f"ix_{table}_event", table, ["event_id"])
    op.create_index("ix_event_audience_cohort", "event_audience_cohorts", ["cohort_id"])
    op.create_index("ix_event_people_person", "event_people", ["person_id"])
    op.create_index("ix_events_venue", "events", ["venue_id"])


def upgrade() -> None:
    _create_reference_tables()
    _extend_events()
    _create_event_parts()
    # Every event has at least one session: the ones made before sessions existed get one.
    op.execute(
        "INSERT INTO event_sessions (id, event_id, position, title, starts_at, ends_at) "
        "SELECT gen_random_uuid(), id, 0, '', starts_at, ends_at FROM events"
    )


def downgrade() -> None:
    for table in (
        "event_expectations",
        "event_resources",
        "event_people",
        "event_audience_cohorts",
        "event_options",
        "event_sessions",
    ):
        op.drop_table(table)
    op.drop_index("ix_events_venue", "events")
    op.drop_index("ix_events_status_starts", "events")
    op.drop_constraint("uq_events_programme_slug", "events", type_="unique")
    op.create_unique_constraint("uq_events_slug", "events", ["slug"])
    for column in (
        "cancel_reason",
        "booking_closes_at",
        "booking_opens_at",
        "audience_kind",
        "options_within_capacity",
        "venue_id",
        "description",
        "programme_id",
    ):
        op.drop_column("events", column)
    for table in ("people", "venues", "cohort_members", "cohorts", "expectations", "programmes"):
        op.drop_table(table)
