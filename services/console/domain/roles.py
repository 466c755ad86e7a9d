"""Staff roles and what each may open in the console."""

from __future__ import annotations

from collections.abc import Iterable

ROLES = ("admin", "staff", "checkin", "ops")
ROLE_LABELS = {
    "admin": "Administrator (staff accounts, everything)",
    "staff": "Programme staff (events, cohorts, attendees, partners)",
    "checkin": "Door staff (check-in)",
    "ops": "Operations (audit log, queues, parked messages)",
}

# Who may open each area; admin may open everything.
PROGRAMME = frozenset({"admin", "staff"})
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"admin", "ops", "staff"})
OPS = frozenset({"admin", "ops"})
CHECKIN = frozenset({"admin", "staff", "checkin"})
ANY = frozenset(ROLES)


def allowed(roles: Iterable[str], needed: frozenset[str]) -> bool:
    return bool(set(roles) & needed)


def door_only(roles: Iterable[str]) -> bool:
    """Door staff and nothing else: their home is the check-in page."""
    return set(roles) == {"checkin"}


def clean_roles(values: Iterable[str]) -> list[str]:
    """Known roles only, in the canonical order, without repeats."""
    given = set(values)
    return [role for role in ROLES if role in given]
