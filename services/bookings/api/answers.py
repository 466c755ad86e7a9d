"""From request to BookingRequest, and from a batch outcome to the HTTP answer."""

from __future__ import annotations

import uuid

from services.bookings.api.deps import header_error
from services.bookings.api.schemas import AttendeeIn, BookingAnswer
from services.bookings.domain.batch import (
    Accepted,
    BookingRequest,
    KeyReused,
    Outcome,
    Refused,
    Replayed,
)
from services.bookings.domain.bookings import Details
from services.bookings.domain.idempotency import error_from_answer, fingerprint
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.invitations import campaign_for
from services.bookings.usecases.messages import link_for
from shared.logging import current_correlation_id
from shared.staff_actions import detach_staff_command


def booking_request(
    settings: BookingsSettings,
    event_id: uuid.UUID,
    body: AttendeeIn,
    *,
    invitation: str | None = None,
    idempotency_key: str | None = None,
    partner_id: uuid.UUID | None = None,
    on_behalf: bool = False,
) -> BookingRequest:
    campaign = campaign_for(settings, event_id, body.email, invitation) if invitation else None
    request_fingerprint = None
    if idempotency_key is not None:
        # An empty `option_ids` is left out, so a request retried across the upgrade that
        # added it keeps its fingerprint. (Dumped only here: most requests carry no key.)
        fields = body.model_dump(
            mode="json", exclude={"invitation", *(() if body.option_ids else ("option_ids",))}
        )
        request_fingerprint = fingerprint(
            event_id,
            {**fields, "invitation": invitation, "partner": str(partner_id), "staff": on_behalf},
        )
    return BookingRequest(
        email=body.email,
        name=body.name,
        details=Details(
            organisation=body.organisation,
            role=body.role,
            sector=body.sector,
            dietary_needs=body.dietary_needs,
            access_needs=body.access_needs,
            consent_to_contact=body.consent_to_contact,
        ),
        option_ids=body.chosen(),
        invited_by_campaign=campaign,
        partner_id=partner_id,
        on_behalf=on_behalf,
        staff_command=detach_staff_command() if on_behalf else None,
        idempotency_key=idempotency_key,
        fingerprint=request_fingerprint,
        correlation_id=current_correlation_id(),
    )


def booking_answer(settings: BookingsSettings, outcome: Outcome) -> BookingAnswer:
    """The answer for a decided request; refusals are raised and rendered as errors."""
    if isinstance(outcome, Accepted):
        b = outcome.booking
        return _answer(settings, b.id, b.status, outcome.waitlist_position, b.option_ids)
    if isinstance(outcome, Replayed):
        stored = outcome.answer.get("booking")
        if stored is None:
            raise error_from_answer(outcome.answer)
        option = stored["option_id"]
        chosen = stored.get("option_ids", [option] if option else [])
        return _answer(
            settings,
            uuid.UUID(stored["booking_id"]),
            stored["status"],
            stored["waitlist_position"],
            tuple(uuid.UUID(o) for o in chosen),
        )
    if isinstance(outcome, Refused):
        raise outcome.error
    assert isinstance(outcome, KeyReused)
    raise header_error(
        "Idempotency-Key",
        "this key was already used for a different request",
        "idempotency_key_reused",
    )


def _answer(
    settings: BookingsSettings,
    booking_id: uuid.UUID,
    status: str,
    position: int | None,
    option_ids: tuple[uuid.UUID, ...],
) -> BookingAnswer:
    token, url = link_for(settings, booking_id)
    return BookingAnswer(
        booking_id=booking_id,
        status=status,  # type: ignore[arg-type]
        waitlist_position=position,
        manage_token=token,
        manage_url=url,
        option_id=option_ids[0] if option_ids else None,
        option_ids=list(option_ids),
    )
