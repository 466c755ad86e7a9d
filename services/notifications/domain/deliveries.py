"""The life cycle of one email, as plain rules (no I/O). Persistence stores what these decide.

    queued ──claim──> sending ──250──────────────> sent
       │                 │ ──4xx, no connection,──> deferred ──due (or server back)──> sending
       │                 │   timeout (before the                 │
       │                 │   deadline)                           └─deadline passed──> failed
       │                 │ ──5xx for this address─────────────────────────────────> failed
       │                 │ ──lease lapsed──> (another sender takes it over: sending again)
       ├─over the per-recipient cap (transactional)──> suppressed
       └─campaign cancelled (queued or deferred)──> cancelled
    failed ──staff resend──> deferred (due now)

- **queued**: written with its dedupe key in the transaction of the change that calls for it.
  A confirmation or promotion the process sends itself is written already **sending**, under
  the claim this process would have taken (`handlers/confirmations.py`): the claim's round
  trip saved, the same lease, so a process that dies after the commit leaves a claim that
  lapses and the retry pass takes over.
- **sending**: claimed by one sender with a fencing token (`claim_token`) and a lease
  (`lease_until`). Only the holder of the current token may record the outcome; a claim whose
  lease lapsed is taken over with a new token, so the old holder's late word is refused.
- **deferred**: the mail server was unavailable or answered 4xx; tried again at
  `next_attempt_at` (growing, capped delays), for as long as `SEND_DEADLINE` allows after the
  email was written. An outage delays mail; it never parks it.
- **failed**: a permanent refusal (5xx for this address or message) or the deadline passed;
  the reason is a code (`reason`). Staff can resend it once the cause is fixed.
- **suppressed**: never sent: more transactional emails to this address in the last hour than
  `RECIPIENT_HOURLY_CAP` (a book-and-cancel loop must not mail-bomb anyone).
- **sent** and **cancelled** are final.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.notifications.domain.outcomes import Outcome


class State(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"


class Reason(StrEnum):
    """Why an email is deferred, failed or suppressed: a code staff and code can match on."""

    SERVER_UNAVAILABLE = "server_unavailable"  # no connection, a timeout, a 421
    TEMPORARY_REFUSAL = "temporary_refusal"  # 4xx for this address or message
    REJECTED = "rejected"  # 5xx for this address or message
    UNSENDABLE = "unsendable"  # cannot be written in SMTP or composed at all
    DEADLINE = "deadline"  # deferred for longer than SEND_DEADLINE
    RECIPIENT_CAP = "recipient_cap"  # over RECIPIENT_HOURLY_CAP
    # Why a campaign email was cancelled before it went (in flight, not only at launch).
    OPTED_OUT = "opted_out"
    SUPPRESSED = "suppressed"  # the address hard-bounced (and staff have not lifted it)
    DECLINED = "declined"  # the invitee answered "I can't come": no more reminders


@dataclass(frozen=True)
class Delivery:
    """One email as staff see it."""

    id: uuid.UUID
    dedupe_key: str
    kind: str
    booking_id: uuid.UUID | None
    event_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    recipient: str
    subject: str
    state: str
    reason: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    smtp_message_id: str | None
    message_id: str | None
    correlation_id: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender now holds, under `claim_token`, until its lease runs out."""

    id: uuid.UUID
    kind: str
    recipient: str
    recipient_name: str | None
    subject: str
    message: bytes | None
    message_id: str | None
    booking_id: uuid.UUID | None
    event_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    correlation_id: str | None
    attempts: int
    created_at: datetime
    claim_token: uuid.UUID


# From -> the states it may move to. Persistence guards each move with the same `from` set.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.SENDING, State.CANCELLED, State.SUPPRESSED}),
    State.SENDING: frozenset({State.SENT, State.DEFERRED, State.FAILED, State.SENDING}),
    State.DEFERRED: frozenset({State.SENDING, State.FAILED, State.CANCELLED}),
    State.FAILED: frozenset({State.DEFERRED}),
    State.SENT: frozenset(),
    State.SUPPRESSED: frozenset(),
    State.CANCELLED: frozenset(),
}

# Where a sender may claim a row from (sending: only once its lease lapsed).
CLAIMABLE = (State.QUEUED, State.DEFERRED, State.SENDING)


def may_move(old: State, new: State) -> bool:
    return new in TRANSITIONS[old]


@dataclass(frozen=True)
class Decision:
    state: State
    reason: Reason | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: timedelta
    max_delay: timedelta
    deadline: timedelta

    def delay(self, attempts: int) -> timedelta:
        """Doubling from `first_delay`, capped: attempt 1 failed -> first_delay, 2 -> twice..."""
        factor = 2 ** min(max(attempts - 1, 0), 30)  # a day-long outage must not overflow
        return min(self.first_delay * factor, self.max_delay)


def after_attempt(
    attempt: Outcome, *, attempts: int, created_at: datetime, now: datetime, policy: RetryPolicy
) -> Decision:
    """The state a claimed email moves to once its attempt is known."""
    if attempt.kind == "sent":
        return Decision(State.SENT)
    if attempt.kind == "permanent":
        return Decision(State.FAILED, Reason.REJECTED)
    if attempt.kind == "unsendable":
        return Decision(State.FAILED, Reason.UNSENDABLE)
    reason = (
        Reason.SERVER_UNAVAILABLE if attempt.kind == "unavailable" else Reason.TEMPORARY_REFUSAL
    )
    next_at = now + policy.delay(attempts)
    if next_at > created_at + policy.deadline:
        return Decision(State.FAILED, Reason.DEADLINE)
    return Decision(State.DEFERRED, reason, next_at)


def state_at_queue(*, transactional: bool, sent_last_hour: int, hourly_cap: int) -> State:
    """A transactional email beyond the recipient's hourly cap is suppressed, never queued."""
    if transactional and hourly_cap > 0 and sent_last_hour >= hourly_cap:
        return State.SUPPRESSED
    return State.QUEUED


def first_over_cap(suppressed_last_hour: int) -> bool:
    """The first email suppressed for an address in an hour is logged; the ones after it are
    only counted (handlers running at the same moment may each log one)."""
    return suppressed_last_hour == 0


def send_by(claimed_at: float, *, lease: float, smtp_timeout: float) -> float:
    """The last moment (on the sender's monotonic clock, taken before the claim) at which a
    claimed email may still be started: its transaction and the record of its outcome must
    fit in the lease, else another sender may already have taken it over."""
    return claimed_at + max(lease - 2 * smtp_timeout, lease / 2)


def expired(created_at: datetime, now: datetime, deadline: timedelta) -> bool:
    return now > created_at + deadline


def resendable(state: State) -> bool:
    return state is State.FAILED
