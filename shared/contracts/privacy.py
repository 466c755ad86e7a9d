"""Payloads of a privacy request (export or erasure of everything held about one address).

The console asks (`console.privacy.export_requested`, `.erasure_requested`); each service that
holds personal data answers for its own (`<service>.privacy.exported`, `.erased`) from its own
durable queue, so a service that was down answers when it returns; the console sends the
finished export's link through notifications (`console.privacy.export_ready`)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PrivacyKind = Literal["export", "erasure"]
# The services that answer every privacy request.
ANSWERING_SERVICES = ("catalogue", "bookings", "notifications")


class PrivacyRequested(BaseModel):
    """`console.privacy.export_requested` and `console.privacy.erasure_requested`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    email: str = Field(max_length=320)
    # The keyed hash of the address: what the suppression list keeps after an erasure.
    address_hash: str = Field(max_length=128)
    requested_at: AwareDatetime


class PrivacyExported(BaseModel):
    """`<service>.privacy.exported`: what this service holds about the address, by kind of
    record (`bookings`, `deliveries`, `roster_memberships`, ...), each a list of flat rows."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    service: str
    records: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class PrivacyErased(BaseModel):
    """`<service>.privacy.erased`: what this service did, as counts (never the data)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    service: str
    counts: dict[str, int] = Field(default_factory=dict)


class PrivacyExportReady(BaseModel):
    """`console.privacy.export_ready`: email the person their download link."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    email: str = Field(max_length=320)
    download_url: str = Field(max_length=2000)
    expires_at: AwareDatetime
