"""The event form, both ways: posted fields to the catalogue's event body, and an event to the
form's values. Rows left blank are dropped; times are typed in the event's own time zone.

Field names are the body's dotted locations (`sessions.0.starts_at`), so the catalogue's 422
lands beside the input that caused it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SESSION_FIELDS = ("session_id", "title", "starts_at", "ends_at")
OPTION_FIELDS = ("option_id", "name", "capacity", "description", "group", "group_optional")
PEOPLE_FIELDS = ("person_id", "role")
RESOURCE_FIELDS = ("resource_id", "title", "url", "kind")
RESOURCE_KINDS = ("slides", "photos", "notes", "video", "document", "link", "other")
_PARTS = {
    "sessions": SESSION_FIELDS,
    "options": OPTION_FIELDS,
    "people": PEOPLE_FIELDS,
    "resources": RESOURCE_FIELDS,
}
SPARE_ROWS = 2
DEFAULT_TZ = "Europe/London"


@dataclass
class Parsed:
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # The catalogue's name for a field -> the form's (options sent as option_groups).
    aliases: dict[str, str] = field(default_factory=dict)

    def form_errors(self, fields: Mapping[str, str]) -> dict[str, str]:
        """The catalogue's 422 fields as the form's, so each lands beside its input."""
        out: dict[str, str] = {}
        for name, message in fields.items():
            alias = next(
                (f + name[len(a) :] for a, f in self.aliases.items() if name.startswith(a + ".")),
                self.aliases.get(name, "options" if name.startswith("option_groups") else name),
            )
            out[alias] = message
        return out


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local(value: str, zone: ZoneInfo) -> str | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=zone).isoformat() if parsed.tzinfo is None else parsed.isoformat()


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _rows(
    form: Mapping[str, str], prefix: str, names: Sequence[str]
) -> list[tuple[int, dict[str, str]]]:
    indexes = sorted(
        {
            int(k.split(".")[1])
            for k in form
            if k.startswith(prefix + ".") and k.split(".")[1].isdigit()
        }
    )
    rows = []
    for i in indexes:
        row = {n: form.get(f"{prefix}.{i}.{n}", "") for n in names}
        if any(v for n, v in row.items() if not n.endswith("_id") or n == "person_id"):
            rows.append((i, row))
    return rows


def parse(form: Mapping[str, str], cohort_ids: Sequence[str], *, creating: bool) -> Parsed:
    out = Parsed()
    body, errors = out.body, out.errors
    tz_name = form.get("timezone") or DEFAULT_TZ
    zone = _zone(tz_name)
    if zone is None:
        errors["timezone"] = "not a time zone this console knows (e.g. Europe/London)"
        zone = ZoneInfo(DEFAULT_TZ)
    body["timezone"] = tz_name
    for name in ("title", "kind", "summary", "description"):
        body[name] = form.get(name, "")
    if not body["kind"]:
        body.pop("kind")
    if form.get("slug"):
        body["slug"] = form["slug"]
    for name in ("programme_id", "venue_id"):
        if form.get(name) or not creating:
            body[name] = form.get(name) or None
    capacity = _int(form.get("capacity", ""))
    if capacity is None:
        errors["capacity"] = "enter the number of places, a whole number"
    body["capacity"] = capacity
    for name in ("booking_opens_at", "booking_closes_at"):
        if form.get(name):
            body[name] = _local(form[name], zone)
            if body[name] is None:
                errors[name] = "enter a date and time"
        elif not creating:
            body[name] = None
    body["waitlist_enabled"] = form.get("waitlist_enabled") == "on"
    body["audience"] = {
        "kind": form.get("audience_kind") or "public",
        "cohort_ids": list(cohort_ids),
    }

    sessions = []
    for n, (_, row) in enumerate(_rows(form, "sessions", SESSION_FIELDS)):
        item: dict[str, Any] = {"title": row["title"]}
        for name in ("starts_at", "ends_at"):
            item[name] = _local(row[name], zone) if row[name] else None
            if item[name] is None:
                errors[f"sessions.{n}.{name}"] = "enter a date and time"
        if row["session_id"]:
            item["session_id"] = row["session_id"]
        sessions.append(item)
    if sessions:
        body["sessions"] = sessions
    elif creating:
        errors["sessions.0.starts_at"] = "give the event at least one session (day)"

    _options(form, out)

    body["people"] = [
        {"person_id": row["person_id"], "role": row["role"]}
        for _, row in _rows(form, "people", PEOPLE_FIELDS)
        if row["person_id"]
    ]

    resources = []
    for _, row in _rows(form, "resources", RESOURCE_FIELDS):
        # The kind alone (its select always posts) does not make a row.
        if not (row["title"] or row["url"]):
            continue
        item = {"title": row["title"], "url": row["url"].strip(), "kind": row["kind"] or "other"}
        if row["resource_id"]:
            item["resource_id"] = row["resource_id"]
        resources.append(item)
    body["resources"] = resources
    return out


def _options(form: Mapping[str, str], out: Parsed) -> None:
    """Options as one set (as before groups) while no row names a group or is optional;
    else as groups, by the group name typed on each row, in the order they first come."""
    rows = [
        row
        for _, row in _rows(form, "options", OPTION_FIELDS)
        if any(row[n] for n in ("name", "capacity", "description", "group"))
    ]
    options = []
    for n, row in enumerate(rows):
        places = _int(row["capacity"])
        if places is None:
            out.errors[f"options.{n}.capacity"] = "enter the option's places, a whole number"
        item = {"name": row["name"], "capacity": places, "description": row["description"]}
        if row["option_id"]:
            item["option_id"] = row["option_id"]
        options.append(item)
    if not any(row["group"].strip() or row["group_optional"] for row in rows):
        out.body["options"] = options
        return
    groups: dict[str, dict[str, Any]] = {}
    for n, (row, item) in enumerate(zip(rows, options, strict=True)):
        name = row["group"].strip()
        if not name:
            out.errors[f"options.{n}.group"] = "name this option's group, as the others have"
            continue
        group = groups.setdefault(name.casefold(), {"name": name, "options": [], "rows": []})
        group["options"].append(item)
        group["rows"].append((n, bool(row["group_optional"])))
    body_groups = []
    for g, group in enumerate(groups.values()):
        optional = {o for _, o in group["rows"]}
        if len(optional) > 1:
            first = group["rows"][0][0]
            out.errors[f"options.{first}.group_optional"] = (
                f"tick 'optional' on every option of '{group['name']}', or on none"
            )
        out.aliases[f"option_groups.{g}.name"] = f"options.{group['rows'][0][0]}.group"
        for j, (n, _) in enumerate(group["rows"]):
            out.aliases[f"option_groups.{g}.options.{j}"] = f"options.{n}"
        body_groups.append(
            {"name": group["name"], "required": not any(optional), "options": group["options"]}
        )
    out.body["option_groups"] = body_groups


def values_of(event: Mapping[str, Any]) -> dict[str, str]:
    """An event from the catalogue as the form's values, times in its own zone."""
    zone = _zone(event.get("timezone") or DEFAULT_TZ) or ZoneInfo(DEFAULT_TZ)

    def local(value: str | None) -> str:
        if not value:
            return ""
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    values = {
        name: str(event.get(name) or "")
        for name in ("title", "kind", "slug", "summary", "description", "capacity", "timezone")
    }
    values["programme_id"] = str((event.get("programme") or {}).get("id") or "")
    values["venue_id"] = str((event.get("venue") or {}).get("id") or "")
    values["booking_opens_at"] = local(event.get("booking_opens_at"))
    values["booking_closes_at"] = local(event.get("booking_closes_at"))
    values["waitlist_enabled"] = "on" if event.get("waitlist_enabled") else ""
    values["audience_kind"] = (event.get("audience") or {}).get("kind", "public")
    for i, s in enumerate(event.get("sessions", [])):
        values.update(
            {
                f"sessions.{i}.session_id": str(s["session_id"]),
                f"sessions.{i}.title": s["title"],
                f"sessions.{i}.starts_at": local(s["starts_at"]),
                f"sessions.{i}.ends_at": local(s["ends_at"]),
            }
        )
    groups = {g["group_id"]: g for g in event.get("option_groups", [])}
    for i, o in enumerate(event.get("options", [])):
        group = groups.get(o.get("group_id"), {})
        values.update(
            {
                f"options.{i}.option_id": str(o["option_id"]),
                f"options.{i}.name": o["name"],
                f"options.{i}.capacity": str(o["capacity"]),
                f"options.{i}.description": o["description"],
                f"options.{i}.group": group.get("name", ""),
                f"options.{i}.group_optional": "" if group.get("required", True) else "on",
            }
        )
    for i, p in enumerate(event.get("people", [])):
        values.update({f"people.{i}.person_id": str(p["person_id"]), f"people.{i}.role": p["role"]})
    for i, r in enumerate(event.get("resources", [])):
        values.update(
            {
                f"resources.{i}.resource_id": str(r["resource_id"]),
                f"resources.{i}.title": r["title"],
                f"resources.{i}.url": r["url"],
                f"resources.{i}.kind": r["kind"],
            }
        )
    return values


def packed(form: Mapping[str, str]) -> dict[str, str]:
    """The posted values with blank rows dropped and rows renumbered as they were sent, so
    a re-rendered form lines up with the errors the catalogue gave for the body."""
    values = {k: v for k, v in form.items() if k.split(".")[0] not in _PARTS}
    for prefix, names in _PARTS.items():
        rows = _rows(form, prefix, names)
        if prefix == "resources":
            rows = [(i, row) for i, row in rows if row["title"] or row["url"]]
        for n, (_, row) in enumerate(rows):
            values.update({f"{prefix}.{n}.{name}": value for name, value in row.items()})
    return values


def row_count(values: Mapping[str, str], prefix: str) -> int:
    used = {int(k.split(".")[1]) for k in values if k.startswith(prefix + ".")}
    return (max(used) + 1 if used else 0) + SPARE_ROWS
