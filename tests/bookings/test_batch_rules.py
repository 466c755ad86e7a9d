"""Deciding a batch in plain Python: each request as if alone, one refusal failing none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.batch import (
    Accepted,
    BookingRequest,
    KeyReused,
    Refused,
    Replayed,
    SameAs,
    Snapshot,
    StoredAnswer,
    decide_batch,
)
from services.bookings.domain.bookings import Booking, Details
from services.bookings.domain.capacity import Places

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)


def _snapshot(capacity: int = 2, **facts: object) -> Snapshot:
    event = EventFacts(
        event_id=uuid.uuid4(),
        version=1,
        status="published",
        title="Reunion",
        starts_at=NOW + timedelta(days=10),
        ends_at=NOW + timedelta(days=10, hours=3),
        **facts,  # type: ignore[arg-type]
    )
    return Snapshot(event=event, places=Places(capacity=capacity, waitlist_enabled=True))


def _req(email: str, **kw: object) -> BookingRequest:
    return BookingRequest(email=email, name="N", **kw)  # type: ignore[arg-type]


def test_a_refusal_in_the_middle_fails_nobody_else() -> None:
    snap = _snapshot(capacity=2)
    out = decide_batch(
        snap,
        [
            _req("a@example.org"),
            _req("A@example.org "),
            _req("b@example.org"),
            _req("c@example.org"),
        ],
        now=NOW,
    )
    assert isinstance(out[0], Accepted) and out[0].booking.status == "confirmed"
    assert isinstance(out[1], Refused) and out[1].error.code == "already_booked"
    assert out[1].resend is None  # made in this batch: its own confirmation carries the link
    assert isinstance(out[2], Accepted) and out[2].booking.status == "confirmed"
    assert isinstance(out[3], Accepted) and out[3].waitlist_position == 1
    assert (snap.places.confirmed, snap.places.waiting) == (2, 1)


def test_an_existing_booking_gets_its_link_resent_once() -> None:
    snap = _snapshot()
    existing = Booking(
        uuid.uuid4(), snap.event.event_id, "confirmed", "a@example.org", "A", Details(), NOW, NOW
    )
    snap.active["a@example.org"] = existing
    out = decide_batch(snap, [_req("a@example.org"), _req("a@example.org")], now=NOW)
    assert isinstance(out[0], Refused) and out[0].resend is not None
    assert isinstance(out[1], Refused) and out[1].resend is None


def test_idempotency_keys_repeat_answers_and_refuse_other_bodies() -> None:
    snap = _snapshot()
    snap.stored["old"] = StoredAnswer(b"print-1", {"booking": {}})
    requests = [
        _req("a@example.org", idempotency_key="k", fingerprint=b"1"),
        _req("a@example.org", idempotency_key="k", fingerprint=b"1"),
        _req("b@example.org", idempotency_key="k", fingerprint=b"2"),
        _req("c@example.org", idempotency_key="old", fingerprint=b"print-1"),
        _req("c@example.org", idempotency_key="old", fingerprint=b"other"),
    ]
    out = decide_batch(snap, requests, now=NOW)
    assert isinstance(out[0], Accepted)
    assert out[1] == SameAs(0)
    assert isinstance(out[2], KeyReused)
    assert isinstance(out[3], Replayed)
    assert isinstance(out[4], KeyReused)
    assert snap.places.confirmed == 1


def test_window_and_audience_apply_to_the_public_not_to_staff() -> None:
    snap = _snapshot(booking_closes_at=NOW - timedelta(hours=1), audience_kind="invitation")
    public, staff = decide_batch(
        snap, [_req("a@example.org"), _req("b@example.org", on_behalf=True)], now=NOW
    )
    assert isinstance(public, Refused) and public.error.code == "booking_closed"
    assert isinstance(staff, Accepted)


def test_an_invitation_admits_to_a_cohort_event_and_is_recorded() -> None:
    campaign = uuid.uuid4()
    snap = _snapshot(audience_kind="cohorts", cohort_ids=(uuid.uuid4(),))
    snap.on_roster = frozenset({"member@example.org"})
    out = decide_batch(
        snap,
        [
            _req("member@example.org"),
            _req("guest@example.org", invited_by_campaign=campaign),
            _req("stranger@example.org"),
        ],
        now=NOW,
    )
    assert isinstance(out[0], Accepted) and isinstance(out[1], Accepted)
    assert out[1].booking.campaign_id == campaign
    assert isinstance(out[2], Refused) and out[2].error.code == "not_on_roster"


def test_a_bad_option_answers_the_same_to_members_and_outsiders_in_either_order() -> None:
    """The request's own mistakes are checked before the roster, so a wrong option_id cannot
    be used to learn whether an address is on a cohort's roster."""
    from services.bookings.domain.capacity import OptionPlaces

    pair = ("member@example.org", "stranger@example.org")
    for order in (pair, pair[::-1]):
        snap = _snapshot(audience_kind="cohorts", cohort_ids=(uuid.uuid4(),))
        walk = OptionPlaces(option_id=uuid.uuid4(), name="Walk", capacity=5)
        snap.places.options[walk.option_id] = walk
        snap.on_roster = frozenset({"member@example.org"})
        unknown = uuid.uuid4()
        out = decide_batch(snap, [_req(email, option_ids=(unknown,)) for email in order], now=NOW)
        answers = [(type(o).__name__, getattr(o, "error", None) and o.error.code) for o in out]
        assert answers[0] == answers[1], (order, answers)
        assert all(isinstance(o, Refused) and o.error.status_code == 422 for o in out)
        # With a good option the roster still decides.
        out = decide_batch(
            snap, [_req(email, option_ids=(walk.option_id,)) for email in order], now=NOW
        )
        by_email = dict(zip(order, out, strict=True))
        assert isinstance(by_email["member@example.org"], Accepted)
        refused = by_email["stranger@example.org"]
        assert isinstance(refused, Refused) and refused.error.code == "not_on_roster"


def test_repeated_choices_in_one_batch_are_each_decided_on_their_own_places() -> None:
    """A batch checks each combination of choices once: repeats still get the groups' order,
    a bad combination is refused every time it comes, and each option's places are counted
    per request (the third walker of a two-place walk waits)."""
    from services.bookings.domain.capacity import OptionPlaces

    snap = _snapshot(capacity=10)
    dinner, workshop = uuid.uuid4(), uuid.uuid4()
    walk = OptionPlaces(uuid.uuid4(), "Walk", 2, group_id=dinner, group_name="Dinner")
    talk = OptionPlaces(uuid.uuid4(), "Talk", 5, group_id=dinner, group_name="Dinner")
    morning = OptionPlaces(
        uuid.uuid4(), "Morning", 5, group_id=workshop, group_required=False, group_position=1
    )
    for option in (walk, talk, morning):
        snap.places.options[option.option_id] = option
    both = (morning.option_id, walk.option_id)  # sent workshop first
    two_dinners = (walk.option_id, talk.option_id)
    out = decide_batch(
        snap,
        [
            _req("a@example.org", option_ids=both),
            _req("b@example.org", option_ids=two_dinners),
            _req("c@example.org", option_ids=both),
            _req("d@example.org", option_ids=two_dinners),
            _req("e@example.org", option_ids=both),
            _req("f@example.org", option_ids=(morning.option_id,)),
        ],
        now=NOW,
    )
    accepted = [o for o in out if isinstance(o, Accepted)]
    assert [o.booking.option_ids for o in accepted[:3]] == [(walk.option_id, morning.option_id)] * 3
    assert [o.booking.status for o in accepted[:3]] == ["confirmed", "confirmed", "waitlisted"]
    for refused in (out[1], out[3]):
        assert isinstance(refused, Refused) and refused.error.status_code == 422
    last = out[5]
    assert isinstance(last, Refused) and "choose one of the options in 'Dinner'" in str(last.error)
    assert (walk.confirmed, walk.waiting, morning.confirmed, morning.waiting) == (2, 1, 2, 1)
