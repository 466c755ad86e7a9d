"""The export archive: one JSON document with every service's answer and the audit entries
about the person, and, beside it in a zip, a CSV per kind of record (cells made safe for
spreadsheets: a person typed them)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from services.console.domain.csv_cells import safe_cell


def build(
    *,
    request_id: str,
    requested_at: datetime,
    answers: dict[str, dict[str, list[dict[str, Any]]]],
    audit: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "requested_at": requested_at.isoformat(),
        "services": {service: answers[service] for service in sorted(answers)},
        "audit": audit,
    }


def booking_ids(archive_answers: dict[str, dict[str, list[dict[str, Any]]]]) -> list[str]:
    rows = archive_answers.get("bookings", {}).get("bookings", [])
    return [str(row["booking_id"]) for row in rows if row.get("booking_id")]


def _csv(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [safe_cell("" if row.get(c) is None else _text(row.get(c))) for c in columns]
        )
    return out.getvalue()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def zipped(archive: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("archive.json", json.dumps(archive, indent=2, ensure_ascii=False))
        for service, kinds in archive.get("services", {}).items():
            for kind, rows in kinds.items():
                if rows:
                    bundle.writestr(f"{service}-{kind}.csv", _csv(rows))
        if archive.get("audit"):
            bundle.writestr("audit.csv", _csv(archive["audit"]))
    return buffer.getvalue()
