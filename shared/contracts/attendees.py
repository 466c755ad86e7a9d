"""A person's details as they enter the system, declared once: each field's type, limits and
validators, for every schema that takes them (bookings' widget and staff APIs, the catalogue's
roster, notifications' recipients, the console's forms).

Everything here was typed by a person and is hostile: names and the like end up in email
headers, calendar invites and CSV cells, so they may hold no control character at all; the
email address follows the one address rule (`shared/addresses.py`: IDNA domains kept in ASCII,
non-ASCII local parts and reserved domains refused). Message payloads (`Attendee`,
`CohortMemberAdded`) carry the same fields as plain values: they were validated where they
entered, and an older payload must still parse.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from shared.addresses import EmailAddress

TEXT_MAX_LENGTH = 200  # a name, an organisation, a role
NEEDS_MAX_LENGTH = 500  # dietary and access needs

_PLAIN = r"^[^\x00-\x1f\x7f]*$"

# A name, an organisation or a role that may be empty; one line, no control characters.
PlainText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX_LENGTH, pattern=_PLAIN)
]
# The same, required: at least one character once stripped.
PlainName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TEXT_MAX_LENGTH, pattern=_PLAIN
    ),
]
PersonName = PlainName
Organisation = PlainText
Role = PlainText
# Free text over lines (a list of allergies): only the length is limited. Escaped where shown.
Needs = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NEEDS_MAX_LENGTH)]
Sector = Literal["public", "private", "voluntary", "community"]
Email = EmailAddress

# The fields of a booking's attendee, and of a cohort roster's member, by name.
ATTENDEE_FIELDS = (
    "name",
    "email",
    "organisation",
    "role",
    "sector",
    "dietary_needs",
    "access_needs",
)
ROSTER_FIELDS = ("name", "email", "organisation", "role")
