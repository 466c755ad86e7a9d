"""The catalogue answers privacy requests for the rosters it owns: export the person's
memberships; erase removes them (the replicas in bookings and notifications erase their own
copies from the same request, so no `member_removed` naming them is published)."""

from __future__ import annotations

import sqlalchemy as sa

from services.catalogue.persistence.tables import cohort_members, cohorts
from shared.contracts.privacy import PrivacyRequested
from shared.db import UnitOfWork
from shared.messaging.handlers import TransactionalHandler
from shared.privacy.answering import Records, plain, privacy_table
from shared.privacy.hashing import address_key
from shared.privacy.outbox import scrub_published


async def export(uow: UnitOfWork, request: PrivacyRequested) -> Records:
    rows = (
        await uow.execute(
            sa.select(
                cohort_members.c.cohort_id,
                cohorts.c.name.label("cohort_name"),
                cohorts.c.programme_id,
                cohort_members.c.email,
                cohort_members.c.name,
                cohort_members.c.organisation,
                cohort_members.c.role,
                cohort_members.c.created_at,
            )
            .join(cohorts, cohorts.c.id == cohort_members.c.cohort_id)
            .where(cohort_members.c.email_key == address_key(request.email))
            .order_by(cohort_members.c.created_at)
        )
    ).all()
    return {"roster_memberships": [plain(r) for r in rows]}


async def erase(uow: UnitOfWork, request: PrivacyRequested) -> dict[str, int]:
    removed = await uow.execute(
        sa.delete(cohort_members).where(cohort_members.c.email_key == address_key(request.email))
    )
    return {
        "roster_memberships": int(removed.rowcount or 0),
        "outbox_messages": await scrub_published(uow, request.email),
    }


PRIVACY_HANDLERS: dict[str, TransactionalHandler] = privacy_table(
    "catalogue", export=export, erase=erase
)
