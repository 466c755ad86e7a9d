"""Every table the console database holds, as its migrations build them. migrations/env.py
gives it to autogenerate; the schema test compares a migrated database with it."""

from __future__ import annotations

import sqlalchemy as sa

import services.console.privacy.tables  # noqa: F401  (its tables join the service's metadata)
from services.console.persistence.tables import metadata
from shared.messaging.schema import messaging_metadata
from shared.scheduled_jobs import jobs_metadata

database_metadata: tuple[sa.MetaData, ...] = (metadata, messaging_metadata, jobs_metadata)
