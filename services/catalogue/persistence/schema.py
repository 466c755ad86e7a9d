"""Every table the catalogue database holds, as its migrations build them. migrations/env.py
gives it to autogenerate; the schema test compares a migrated database with it."""

from __future__ import annotations

import sqlalchemy as sa

from services.catalogue.persistence.tables import metadata
from shared.messaging.schema import messaging_metadata

database_metadata: tuple[sa.MetaData, ...] = (metadata, messaging_metadata)
