"""The booking batch's reads and writes, each one statement (one round trip).

The event's row lock is held from the moment it is taken until commit, and a round trip
costs most when the process is busiest, so the batch takes the lock and reads everything it
needs in one round trip, and writes everything (the unit of work's outbox rows included,
through its one writer, `shared.db.OUTBOX_INSERT`) in one more before the commit. Arrays
(unnest) keep the SQL text constant whatever the batch size, so the prepared statement is
reused.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.batch import StoredAnswer
from services.bookings.domain.bookings import Booking
from services.bookings.domain.capacity import OptionPlaces, Places
from services.bookings.persistence.bookings import to_row
from shared.db import OUTBOX_INSERT, UnitOfWork
from shared.errors import NotFound

LOCK_AND_READ = sa.text(
    "SELECT * FROM bookings_lock_batch(:event_id, CAST(:emails AS text[]), CAST(:keys AS text[]))"
)
_FACTS = tuple(EventFacts.__dataclass_fields__)


@dataclass(frozen=True)
class BatchReads:
    facts: EventFacts
    places: Places
    active_ids: dict[str, uuid.UUID]
    stored: dict[str, StoredAnswer]
    on_roster: frozenset[str]


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def lock_and_read(
    uow: UnitOfWork, event_id: uuid.UUID, *, emails: Sequence[str], keys: Sequence[str]
) -> BatchReads:
    """Take the event's row lock and read, after it, everything the batch decides on: the
    counters, the options, the active bookings of these addresses, earlier answers to these
    keys, roster membership (`bookings_lock_batch`, migration 0005, one round trip)."""
    params = {"event_id": event_id, "emails": list(emails), "keys": list(keys)}
    row = (await uow.execute(LOCK_AND_READ, params)).first()
    if row is None:
        raise NotFound("no such event is open for booking", code="event_not_found")
    m = row._mapping
    facts = EventFacts(**{**{n: m[n] for n in _FACTS}, "cohort_ids": tuple(m["cohort_ids"])})
    options = {}
    for option_id, name, *counts, group_id, group_name, required, group_position in _json(
        m["options"]
    ):
        # The function's array: name, capacity, confirmed, waiting, withdrawn, description,
        # position, then the group's id, name, required flag and position (migration 0005).
        capacity, confirmed, waiting, withdrawn, description, position = counts
        oid = uuid.UUID(option_id)
        options[oid] = OptionPlaces(
            oid,
            name,
            capacity,
            confirmed,
            waiting,
            withdrawn,
            description,
            position,
            uuid.UUID(group_id),
            group_name,
            required,
            group_position,
        )
    places = Places(
        capacity=m["capacity"],
        waitlist_enabled=m["waitlist_enabled"],
        confirmed=m["confirmed"],
        waiting=m["waiting"],
        waitlist_seq=m["waitlist_seq"],
        options=options,
    )
    return BatchReads(
        facts=facts,
        places=places,
        active_ids={key: uuid.UUID(bid) for key, bid in _json(m["active"])},
        stored={
            key: StoredAnswer(base64.b64decode(fp), answer)
            for key, fp, answer in _json(m["stored"])
        },
        on_roster=frozenset(_json(m["on_roster"])),
    )


_COLUMNS = (
    ("id", "uuid"), ("event_id", "uuid"), ("status", "text"), ("waitlist_seq", "bigint"),
    ("email", "text"), ("email_key", "text"), ("name", "text"), ("version", "int"),
    ("created_at", "timestamptz"), ("updated_at", "timestamptz"), ("option_ids", "uuid[]"),
    ("partner_id", "uuid"), ("campaign_id", "uuid"), ("organisation", "text"), ("role", "text"),
    ("sector", "text"), ("dietary_needs", "text"), ("access_needs", "text"),
    ("consent_to_contact", "boolean"),
)  # fmt: skip
_NAMES = ", ".join(name for name, _ in _COLUMNS)
# unnest() flattens an array of arrays, so each booking's options travel as one array literal
# (text) and become uuid[] again in the SELECT.
_SENT = {name: "text" if kind.endswith("[]") else kind for name, kind in _COLUMNS}
_ARRAYS = ", ".join(f"CAST(:b_{name} AS {_SENT[name]}[])" for name, _ in _COLUMNS)
_VALUES = ", ".join(
    f"CAST(u.{name} AS {kind})" if kind.endswith("[]") else f"u.{name}" for name, kind in _COLUMNS
)

_WRITE = sa.text(f"""
WITH new_bookings AS (
  -- The consent to future contact is recorded with its time and the privacy notice version
  -- the event showed (issue 17): both come with the row, at no extra round trip.
  INSERT INTO bookings ({_NAMES}, consent_recorded_at, privacy_notice_version)
  SELECT {_VALUES}, CASE WHEN u.consent_to_contact THEN u.created_at END,
         NULLIF((SELECT state ->> 'privacy_notice_version' FROM event_replicas
                  WHERE event_id = :event_id), '')
    FROM unnest({_ARRAYS}) AS u({_NAMES}) RETURNING 1
), counters AS (
  UPDATE event_replicas
     SET confirmed = :confirmed, waiting = :waiting, waitlist_seq = :waitlist_seq
   WHERE event_id = :event_id
  RETURNING 1
), option_counters AS (
  UPDATE event_options AS o SET confirmed = v.confirmed, waiting = v.waiting
    FROM unnest(CAST(:o_ids AS uuid[]), CAST(:o_confirmed AS int[]), CAST(:o_waiting AS int[]))
         AS v(option_id, confirmed, waiting)
   WHERE o.event_id = :event_id AND o.option_id = v.option_id
  RETURNING 1
), messages AS (
  {OUTBOX_INSERT}
  RETURNING 1
), keys AS (
  INSERT INTO idempotency_keys (key, fingerprint, event_id, answer)
  SELECT k.key, k.fingerprint, :event_id, CAST(k.answer AS jsonb)
    FROM unnest(CAST(:k_keys AS text[]), CAST(:k_prints AS bytea[]), CAST(:k_answers AS text[]))
         AS k(key, fingerprint, answer)
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM keys) AS keys_stored
""")


def _array_literal(ids: Sequence[uuid.UUID]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


async def write(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    *,
    new: Sequence[Booking],
    places: Places,
    answers: Sequence[tuple[str, bytes, dict[str, Any]]],
) -> bool:
    """New bookings, the counters decided, first answers to keys and the messages emitted so
    far in `uow`, in one statement; False if a key was stored meanwhile by a concurrent
    request (the batch is then decided again).

    The outbox rows are written here rather than at `UnitOfWork.commit` only to save a round
    trip under the lock: the same writer, table and transaction (`uow.take_outbox`), so the
    outbox guarantee is unchanged, and the commit wakes the relay as usual."""
    rows = [to_row(b) for b in new]
    params: dict[str, Any] = {f"b_{name}": [r[name] for r in rows] for name, _ in _COLUMNS}
    # A batch's bookings share a few combinations of options: each literal is made once.
    literals: dict[tuple[uuid.UUID, ...], str] = {}
    for b in new:
        if b.option_ids not in literals:
            literals[b.option_ids] = _array_literal(b.option_ids)
    params["b_option_ids"] = [literals[b.option_ids] for b in new]
    options = list(places.options.values())
    params.update(
        event_id=event_id,
        confirmed=places.confirmed,
        waiting=places.waiting,
        waitlist_seq=places.waitlist_seq,
        o_ids=[o.option_id for o in options],
        o_confirmed=[o.confirmed for o in options],
        o_waiting=[o.waiting for o in options],
        k_keys=[key for key, _, _ in answers],
        k_prints=[fingerprint for _, fingerprint, _ in answers],
        k_answers=[orjson.dumps(answer).decode() for _, _, answer in answers],
    )
    params.update(uow.take_outbox())
    stored = (await uow.execute(_WRITE, params)).scalar_one()
    return int(stored) == len(answers)
