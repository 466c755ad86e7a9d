"""Reading a roster from CSV: good rows out, and each bad row with its line number and reason.

Pure: takes bytes, gives rows and errors. UTF-8 with or without a byte-order mark (what Excel
writes with "CSV UTF-8"). Headers are matched case-insensitively, with the usual variants.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from services.catalogue.domain.cohorts import MemberDetails, email_key
from shared.addresses import InvalidAddress, normalise_address
from shared.contracts.attendees import TEXT_MAX_LENGTH
from shared.errors import Invalid

MAX_ROWS = 5000
MAX_FIELD = TEXT_MAX_LENGTH  # as when a member is added by hand
_HEADERS = {
    "email": "email",
    "email address": "email",
    "e-mail": "email",
    "name": "name",
    "full name": "name",
    "first name": "first_name",
    "forename": "first_name",
    "last name": "last_name",
    "surname": "last_name",
    "organisation": "organisation",
    "organization": "organisation",
    "employer": "organisation",
    "role": "role",
    "job title": "role",
}


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class ParsedRoster:
    rows: list[MemberDetails]
    errors: list[RowError]


def normalise_email(raw: str) -> str:
    """The address as it will be stored (the shared rule: IDNA domains, ASCII local parts);
    raises ValueError with a readable reason."""
    try:
        return normalise_address(raw)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "body", f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
        ) from None


def _columns(header: list[str]) -> list[str | None]:
    columns = [_HEADERS.get(" ".join(h.strip().lower().replace("_", " ").split())) for h in header]
    has_name = "name" in columns or {"first_name", "last_name"} <= set(columns)
    if "email" not in columns or not has_name:
        raise Invalid(
            "body",
            "the first line must name the columns: email and name (or first name and last "
            f"name), optionally organisation and role; it has {', '.join(header) or 'nothing'}",
        )
    return columns


def _details(values: dict[str, str]) -> MemberDetails:
    name = values.get("name") or " ".join(
        part for part in (values.get("first_name", ""), values.get("last_name", "")) if part
    )
    if not values.get("email"):
        raise ValueError("email is missing")
    if not name:
        raise ValueError("name is missing")
    for field, value in (("name", name), *values.items()):
        if len(value) > MAX_FIELD:
            raise ValueError(f"{field} is longer than {MAX_FIELD} characters")
    email = normalise_email(values["email"])
    return MemberDetails(
        email=email,
        name=name,
        organisation=values.get("organisation", ""),
        role=values.get("role", ""),
    )


def _check_row(record: list[str], columns: list[str | None]) -> MemberDetails:
    if len(record) > len(columns):
        raise ValueError(f"{len(record)} fields, but the header has {len(columns)}")
    return _details({c: v.strip() for c, v in zip(columns, record, strict=False) if c})


def parse_roster(data: bytes) -> ParsedRoster:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        columns = _columns(next(reader))
    except StopIteration:
        raise Invalid("body", "the file is empty") from None
    except csv.Error as exc:
        raise Invalid("body", f"the first line is not CSV: {exc}") from None
    rows: list[MemberDetails] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    while True:
        line = reader.line_num + 1  # where this record starts (a quoted field may span lines)
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, f"not valid CSV: {exc}"))
            break
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise Invalid("body", f"more than {MAX_ROWS} rows: split the file")
        try:
            details = _check_row(record, columns)
            key = email_key(details.email)
            if key in first_line:
                raise ValueError(f"the same email as line {first_line[key]}")
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        first_line[key] = line
        rows.append(details)
    return ParsedRoster(rows, errors)
