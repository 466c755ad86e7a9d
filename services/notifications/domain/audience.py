"""Who a campaign reaches, and who it leaves out and why (plain rules, no I/O).

The same function answers the composer's "how many people will this reach?" before launch and
resolves the audience at launch, so the count staff confirm is the count that is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from services.notifications.domain.campaigns import Invitee
from services.notifications.domain.emails import email_key


class LeftOut(StrEnum):
    """Why someone in the chosen audience gets no email."""

    BOOKED = "booked"  # already holds a place (confirmed or waiting) on the event
    OPTED_OUT = "opted_out"  # unsubscribed from campaign emails
    SUPPRESSED = "suppressed"  # the address was refused permanently (hard bounce)
    OFF_ROSTER = "off_roster"  # was in a chosen cohort, removed from its roster since
    DECLINED = "declined"  # answered "I can't come" (follow-ups only)
    # A typed address on no roster that never consented to be contacted (privacy, issue 17).
    NO_REASON = "no_reason"


# Kinds of campaign: who they go to, and which reasons apply.
INVITATION, FOLLOW_UP, ANNOUNCEMENT = "invitation", "follow_up", "announcement"
KINDS = (INVITATION, FOLLOW_UP, ANNOUNCEMENT)

# An announcement goes to people booked on the event about that booking ("the room has
# changed"): an opt-out from invitations does not silence it; a bounced address still does.
_REASONS = {
    INVITATION: (LeftOut.SUPPRESSED, LeftOut.OPTED_OUT, LeftOut.NO_REASON, LeftOut.BOOKED),
    FOLLOW_UP: (
        LeftOut.OFF_ROSTER,
        LeftOut.SUPPRESSED,
        LeftOut.OPTED_OUT,
        LeftOut.DECLINED,
        LeftOut.BOOKED,
    ),
    ANNOUNCEMENT: (LeftOut.SUPPRESSED,),
}


@dataclass(frozen=True)
class Excluded:
    email: str
    name: str
    reason: LeftOut


@dataclass(frozen=True)
class Facts:
    """What is known about the candidates, each as a set of email keys."""

    booked: set[str] = field(default_factory=set)
    opted_out: set[str] = field(default_factory=set)
    suppressed: set[str] = field(default_factory=set)
    declined: set[str] = field(default_factory=set)
    off_roster: set[str] = field(default_factory=set)
    no_reason: set[str] = field(default_factory=set)

    def get(self, reason: LeftOut) -> set[str]:
        return {
            LeftOut.BOOKED: self.booked,
            LeftOut.OPTED_OUT: self.opted_out,
            LeftOut.SUPPRESSED: self.suppressed,
            LeftOut.DECLINED: self.declined,
            LeftOut.OFF_ROSTER: self.off_roster,
            LeftOut.NO_REASON: self.no_reason,
        }[reason]


@dataclass(frozen=True)
class Resolved:
    invitees: list[Invitee]
    left_out: list[Excluded]

    def counts(self) -> dict[str, int]:
        found = Counter(e.reason.value for e in self.left_out)
        return {reason.value: found.get(reason.value, 0) for reason in LeftOut}


def candidates(members: Iterable[Invitee], extra_emails: Iterable[str]) -> list[Invitee]:
    """Roster members then extra addresses, deduplicated case-insensitively (a roster entry
    wins, for its name), in a stable order."""
    seen: dict[str, Invitee] = {}
    for member in members:
        key = email_key(member.email)
        if key not in seen:
            email = member.email.strip()
            # Rosters hold trimmed addresses: the member itself, not a copy per person.
            seen[key] = member if email == member.email else Invitee(email, member.name)
    for email in extra_emails:
        seen.setdefault(email_key(email), Invitee(email.strip(), ""))
    return list(seen.values())


def off_roster(removed: Iterable[Invitee], kept: Iterable[Invitee]) -> list[Excluded]:
    """Removed members of the chosen cohorts who are not in the audience by another way."""
    removed = list(removed)
    if not removed:  # the usual case: no need to key the whole audience
        return []
    present = {email_key(i.email) for i in kept}
    gone: dict[str, Excluded] = {}
    for member in removed:
        key = email_key(member.email)
        if key not in present:
            gone.setdefault(key, Excluded(member.email, member.name, LeftOut.OFF_ROSTER))
    return list(gone.values())


def resolve(kind: str, people: Iterable[Invitee], facts: Facts) -> Resolved:
    """Each candidate is sent to, or left out for the first reason that applies (a bounced
    address before an opt-out, an opt-out before a booking: the reason staff can act on)."""
    reasons = [(reason, facts.get(reason)) for reason in _REASONS[kind]]
    # Most candidates are sent to: one look-up says so; only those left out find their reason.
    any_reason = set().union(*(found for _, found in reasons))
    invitees: list[Invitee] = []
    left_out: list[Excluded] = []
    for person in people:
        key = email_key(person.email)
        if key not in any_reason:
            invitees.append(person)
            continue
        reason = next(r for r, found in reasons if key in found)
        left_out.append(Excluded(person.email, person.name, reason))
    return Resolved(invitees, left_out)
