"""A person's emails and campaign entries by address: read for export, anonymised for erasure.
Deliveries keep their kind, state and times (the counts) and lose who they went to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notifications.persistence.tables import (
    bookings,
    campaign_recipients,
    campaigns,
    cohort_members,
    deliveries,
    events,
    opt_outs,
    reminders,
)
from services.notifications.privacy.tables import erased_addresses
from shared.contracts.privacy import PrivacyRequested
from shared.db import UnitOfWork
from shared.privacy.answering import plain
from shared.privacy.hashing import ERASED_DOMAIN, address_key

_ERASED_SUBJECT = "(erased)"


def _is(column: Any, email: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(column) == address_key(email)


def _booking_email() -> Any:
    return bookings.c.state["attendee"]["email"].astext


async def export(uow: UnitOfWork, email: str) -> dict[str, list[dict[str, Any]]]:
    sent = await uow.execute(
        sa.select(
            deliveries.c.id.label("delivery_id"),
            deliveries.c.kind,
            deliveries.c.recipient,
            deliveries.c.subject,
            deliveries.c.state,
            deliveries.c.booking_id,
            deliveries.c.event_id,
            deliveries.c.campaign_id,
            deliveries.c.created_at,
            deliveries.c.sent_at,
        )
        .where(_is(deliveries.c.recipient, email))
        .order_by(deliveries.c.created_at)
    )
    opted = await uow.execute(
        sa.select(opt_outs.c.campaign_id, opt_outs.c.created_at).where(
            opt_outs.c.email_key == address_key(email)
        )
    )
    invited = await uow.execute(
        sa.select(
            campaign_recipients.c.campaign_id,
            campaign_recipients.c.name,
            campaign_recipients.c.email,
        ).where(_is(campaign_recipients.c.email, email))
    )
    return {
        "deliveries": [plain(r) for r in sent],
        "opt_outs": [plain(r) for r in opted],
        "campaign_invitations": [plain(r) for r in invited],
    }


def _anonymous_attendee() -> Any:
    return sa.func.jsonb_build_object(
        "name", "", "email", sa.func.concat("erased-", bookings.c.booking_id, f"@{ERASED_DOMAIN}")
    )


async def anonymise_deliveries(uow: UnitOfWork, where: sa.ColumnElement[bool]) -> int:
    """Deliveries keep kind, state and times, and lose who they went to and what they said;
    emails not sent yet are not sent at all."""
    not_erased = ~deliveries.c.recipient.endswith(f"@{ERASED_DOMAIN}")
    done = await uow.execute(
        sa.update(deliveries)
        .where(where, not_erased)
        .values(
            recipient=sa.func.concat("erased-", deliveries.c.id, f"@{ERASED_DOMAIN}"),
            recipient_name=None,
            # Campaign emails are deduplicated by campaign and address.
            dedupe_key=sa.func.replace(
                sa.func.lower(deliveries.c.dedupe_key),
                sa.func.lower(deliveries.c.recipient),
                sa.func.concat("erased-", deliveries.c.id),
            ),
            subject=_ERASED_SUBJECT,
            message=None,
            last_error=None,
            state=sa.case(
                (deliveries.c.state.in_(("queued", "deferred")), "cancelled"),
                else_=deliveries.c.state,
            ),
            reason=sa.case(
                (deliveries.c.state.in_(("queued", "deferred")), None),
                else_=deliveries.c.reason,
            ),
        )
    )
    return int(done.rowcount or 0)


async def anonymise_booking_replica(uow: UnitOfWork, where: sa.ColumnElement[bool]) -> int:
    done = await uow.execute(
        sa.update(bookings)
        .where(where)
        .values(
            state=sa.func.jsonb_set(
                bookings.c.state, sa.text("'{attendee}'::text[]"), _anonymous_attendee()
            )
        )
    )
    return int(done.rowcount or 0)


async def anonymise_campaign_invitees(uow: UnitOfWork, where: sa.ColumnElement[bool]) -> int:
    done = await uow.execute(
        sa.update(campaign_recipients)
        .where(where, ~campaign_recipients.c.email.endswith(f"@{ERASED_DOMAIN}"))
        .values(
            email=sa.func.concat(
                "erased-",
                campaign_recipients.c.campaign_id,
                "-",
                campaign_recipients.c.seq,
                f"@{ERASED_DOMAIN}",
            ),
            name="",
        )
    )
    return int(done.rowcount or 0)


async def anonymise_ended(uow: UnitOfWork, cutoff: datetime) -> dict[str, int]:
    """Retention: what is held about the people of events that ended before `cutoff`."""
    ended = sa.select(events.c.event_id).where(
        sa.cast(events.c.state["ends_at"].astext, sa.DateTime(timezone=True)) < cutoff
    )
    return {
        "deliveries": await anonymise_deliveries(uow, deliveries.c.event_id.in_(ended)),
        "booking_replica": await anonymise_booking_replica(
            uow,
            bookings.c.event_id.in_(ended) & ~_booking_email().endswith(f"@{ERASED_DOMAIN}"),
        ),
        "campaign_invitations": await anonymise_campaign_invitees(
            uow,
            campaign_recipients.c.campaign_id.in_(
                sa.select(campaigns.c.id).where(campaigns.c.event_id.in_(ended))
            ),
        ),
    }


async def erase(uow: UnitOfWork, request: PrivacyRequested) -> dict[str, int]:
    email = request.email
    counts: dict[str, int] = {}

    async def run(name: str, statement: Any) -> None:
        counts[name] = int((await uow.execute(statement)).rowcount or 0)

    counts["deliveries"] = await anonymise_deliveries(uow, _is(deliveries.c.recipient, email))
    person_bookings = sa.select(bookings.c.booking_id).where(_is(_booking_email(), email))
    await run(
        "reminders",
        sa.update(reminders)
        .where(reminders.c.booking_id.in_(person_bookings), reminders.c.state == "pending")
        .values(state="cancelled", note="erasure request"),
    )
    counts["booking_replica"] = await anonymise_booking_replica(uow, _is(_booking_email(), email))
    await run("opt_outs", sa.delete(opt_outs).where(opt_outs.c.email_key == address_key(email)))
    counts["campaign_invitations"] = await anonymise_campaign_invitees(
        uow, _is(campaign_recipients.c.email, email)
    )
    # Addresses staff typed into a campaign: the entry goes, the rest of the list stays.
    element = sa.func.jsonb_array_elements_text(campaigns.c.emails).table_valued("value")
    kept = (
        sa.select(sa.func.coalesce(sa.func.jsonb_agg(element.c.value), sa.text("'[]'::jsonb")))
        .where(sa.func.lower(element.c.value) != address_key(email))
        .scalar_subquery()
    )
    await run(
        "campaign_addresses",
        sa.update(campaigns)
        .where(
            sa.func.strpos(sa.func.lower(sa.cast(campaigns.c.emails, sa.Text)), address_key(email))
            > 0
        )
        .values(emails=kept),
    )
    await run(
        "roster_replica",
        sa.update(cohort_members)
        .where(_is(cohort_members.c.email, email))
        .values(
            email=sa.func.concat("erased-", cohort_members.c.member_id, f"@{ERASED_DOMAIN}"),
            name="",
            removed=True,
        ),
    )
    await uow.execute(
        pg_insert(erased_addresses)
        .values(address_hash=request.address_hash, request_id=request.request_id)
        .on_conflict_do_nothing()
    )
    return counts
