"""Staff views of bookings: JSON items, the CSV export, the counts."""

from __future__ import annotations

import csv
import io
import uuid

from services.bookings.api.staff_schemas import (
    EventCounts,
    OptionCounts,
    SessionCounts,
    StaffBooking,
)
from services.bookings.api.views import choices_out
from services.bookings.domain.bookings import Booking
from services.bookings.persistence.staff import Filters
from services.bookings.usecases import staff
from services.bookings.usecases.messages import choices_of
from services.bookings.usecases.staff import Listed, Summary
from shared.db import Database

CSV_COLUMNS = (
    "booking_id", "status", "waitlist_position", "option", "name", "email", "organisation",
    "role", "sector", "dietary_needs", "access_needs", "consent_to_contact", "created_at",
    "cancelled_by", "cancel_reason", "partner_id", "campaign_id", "attendance",
)  # fmt: skip


def staff_bookings(listed: Listed) -> list[StaffBooking]:
    items = []
    for b in listed.bookings:
        choices = choices_of(listed.places, b.option_ids)
        d = b.details
        items.append(
            StaffBooking(
                booking_id=b.id,
                event_id=b.event_id,
                status=b.status,  # type: ignore[arg-type]
                waitlist_position=listed.positions.get(b.id),
                option_id=choices[0].option_id if choices else None,
                option_name=choices[0].option_name if choices else None,
                choices=choices_out(choices),
                name=b.name,
                email=b.email,
                organisation=d.organisation,
                role=d.role,
                sector=d.sector,  # type: ignore[arg-type]
                dietary_needs=d.dietary_needs,
                access_needs=d.access_needs,
                consent_to_contact=d.consent_to_contact,
                partner_id=b.partner_id,
                campaign_id=b.campaign_id,
                created_at=b.created_at,
                updated_at=b.updated_at,
                cancelled_by=b.cancelled_by,
                cancel_reason=b.cancel_reason,
                attendance=listed.attendance.get(b.id, {}),  # type: ignore[arg-type]
            )
        )
    return items


async def one_booking(db: Database, booking: Booking) -> StaffBooking:
    listed = await staff.listing(db, booking.event_id, Filters(booking_id=booking.id, limit=1))
    return staff_bookings(listed)[0]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: make it plain text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _mark(item: StaffBooking, session: uuid.UUID, ended: frozenset[uuid.UUID]) -> str:
    """attended, no_show (marked, or a confirmed place not checked in once the session is
    over), or nothing yet."""
    mark = item.attendance.get(session)
    if mark:
        return mark
    return "no_show" if item.status == "confirmed" and session in ended else ""


def _choices_cell(item: StaffBooking) -> str:
    """One cell for every group's choice: "Dinner: Canal walk; Workshop: Morning"; a lone
    unnamed group (an event from before groups) shows just the option, as before."""
    return "; ".join(
        f"{c.group_name}: {c.option_name}" if c.group_name else c.option_name for c in item.choices
    )


def to_csv(listed: Listed) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in staff_bookings(listed):
        marks = "; ".join(
            f"{title}: {_mark(item, session, listed.ended)}"
            for session, title in listed.sessions.items()
            if _mark(item, session, listed.ended)
        )
        row = item.model_dump(mode="json")
        row.update(option=_choices_cell(item), attendance=marks)
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


def event_counts(event_id: uuid.UUID, summary: Summary) -> EventCounts:
    places, counts = summary.places, summary.counts

    def count(status: str, option_id: uuid.UUID | None = None) -> int:
        return counts.get((status, option_id), 0)

    return EventCounts(
        event_id=event_id,
        capacity=places.capacity,
        confirmed=count("confirmed"),
        waiting=count("waitlisted"),
        cancelled=count("cancelled"),
        attended=summary.attended,
        remaining=places.remaining(),
        overage=places.overage,
        auto_promotion=summary.auto_promotion,
        options=[
            OptionCounts(
                option_id=o.option_id,
                group_id=o.group_id,
                group_name=o.group_name,
                name=o.name,
                capacity=o.capacity,
                confirmed=count("confirmed", o.option_id),
                waiting=count("waitlisted", o.option_id),
                cancelled=count("cancelled", o.option_id),
                remaining=places.remaining((o.option_id,)),
                overage=max(0, o.confirmed - o.capacity),
                withdrawn=o.withdrawn,
            )
            for o in places.options.values()
        ],
        sessions=[
            SessionCounts(
                session_id=session_id,
                title=title,
                attended=summary.attendance.get((session_id, "attended"), 0),
                no_show=summary.attendance.get((session_id, "no_show"), 0),
            )
            for session_id, title in summary.sessions.items()
        ],
    )
