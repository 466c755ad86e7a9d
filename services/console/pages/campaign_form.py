"""Reading the compose form: the event, cohorts, extra addresses (pasted or uploaded),
subject, message and send time into the body notifications takes; and placing notifications'
reasons beside the fields that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from services.console.clients.base import ServiceRefused
from services.console.domain import address_list

LOCAL = ZoneInfo("Europe/London")


def _send_at(text: str, errors: dict[str, str]) -> str | None:
    """A datetime-local value, read in Europe/London; empty means "when launched"."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=LOCAL).isoformat()
    except ValueError:
        errors["send_at"] = "give a date and time, e.g. 2027-03-01T09:00"
        return None


async def campaign_body(
    form: FormData, *, with_audience: bool = True
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The JSON body, the problems found here, and the values to show back in the form."""
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "subject": values.get("subject", ""),
        "message": values.get("message", ""),
        "send_at": _send_at(values.get("send_at", ""), errors),
    }
    if values.get("event_id"):
        body["event_id"] = values["event_id"]
    if with_audience:
        found = address_list.pasted(values.get("emails", ""))
        upload = form.get("upload")
        if isinstance(upload, UploadFile) and upload.filename:
            address_list.uploaded(await upload.read(address_list.MAX_UPLOAD_BYTES + 1), found)
        if found.problems:
            errors["emails"] = "; ".join(found.problems)
        elif address_list.too_many(found):
            errors["emails"] = f"at most {address_list.MAX_ADDRESSES} addresses"
        cohorts = [c for c in form.getlist("cohort_ids") if isinstance(c, str) and c]
        body["audience"] = {"cohort_ids": cohorts, "emails": found.emails}
        values["emails"] = "\n".join(found.emails)
        values["cohort_ids"] = ",".join(cohorts)
    return body, errors, values


def field_errors(exc: ServiceRefused) -> dict[str, str]:
    """notifications' 422 by the form's fields (`audience.emails.3` is the addresses box)."""
    errors: dict[str, str] = {}
    for key, message in exc.fields.items():
        if key.startswith("audience.emails"):
            errors["emails"] = f"address {int(key.split('.')[2]) + 1}: {message}"
        elif key.startswith("audience"):
            errors["cohort_ids"] = message
        else:
            errors[key.split(".")[0]] = message
    return errors or {"_": exc.detail}
