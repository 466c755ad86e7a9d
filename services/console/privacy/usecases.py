"""Privacy requests, coordinated here. Why the console: staff ask here, the audit log is
here, and it already consumes every service's messages; each service's part travels on its
own durable queue, so the coordinator needs no service to be up when asked, and none needs
the console up to answer (answers wait in the console's queue).

Every step is audited (asked, each service's answer, completed) with the request id and the
address's keyed hash only, never the address."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.console.domain.audit import own_action
from services.console.persistence import audit
from services.console.persistence.accounts import Account
from services.console.privacy import archive, store
from services.console.settings import ConsoleSettings
from shared.contracts.privacy import (
    ANSWERING_SERVICES,
    PrivacyErased,
    PrivacyExported,
    PrivacyExportReady,
    PrivacyKind,
    PrivacyRequested,
)
from shared.db import Database, UnitOfWork
from shared.logging import get_logger
from shared.privacy.hashing import address_hash
from shared.privacy.links import sign_download
from shared.privacy.outbox import scrub_published

log = get_logger(__name__)


def _audit_entry(
    actor: Account | None, action: str, request_id: uuid.UUID, summary: str, label: str = ""
) -> audit.Entry:
    return own_action(
        actor,
        action,
        target_type="privacy_request",
        target_id=str(request_id),
        summary=summary,
        actor_label=label or None,
    )


async def ask(
    db: Database,
    settings: ConsoleSettings,
    *,
    actor: Account | None,
    actor_label: str = "",
    email: str,
    kind: PrivacyKind,
    now: datetime | None = None,
) -> uuid.UUID:
    """Record the request and publish it (one transaction: the outbox); audited."""
    moment = now or datetime.now(UTC)
    request_id = uuid.uuid4()
    hashed = address_hash(settings.privacy_hash_key.get_secret_value(), email)
    async with db.unit_of_work() as uow:
        await store.add(
            uow,
            id=request_id,
            kind=kind,
            address_hash=hashed,
            requested_by=str(actor.id) if actor else actor_label,
            requested_by_name=actor.name if actor else None,
            requested_at=moment,
            # Only an export keeps the address (to send its link), until the link expires.
            email=email if kind == "export" else None,
        )
        uow.emit(
            f"console.privacy.{kind}_requested",
            PrivacyRequested(
                request_id=request_id, email=email, address_hash=hashed, requested_at=moment
            ),
        )
        summary = f"{kind} requested for address hash {hashed[:16]}"
        await audit.record(
            uow, _audit_entry(actor, f"privacy.{kind}_requested", request_id, summary, actor_label)
        )
        await uow.commit()
    log.info("privacy.requested", request_id=str(request_id), kind=kind)
    return request_id


async def record_export(
    payload: PrivacyExported, uow: UnitOfWork, settings: ConsoleSettings
) -> None:
    request = await store.get(uow, payload.request_id, lock=True)
    if request is None or request.kind != "export":
        log.warning("privacy.answer_for_unknown_request", request_id=str(payload.request_id))
        return
    now = datetime.now(UTC)
    if not await store.add_answer(
        uow, request.id, payload.service, now=now, records=payload.records
    ):
        return
    rows = sum(len(v) for v in payload.records.values())
    await audit.record(
        uow,
        _audit_entry(
            None,
            "privacy.export_answered",
            request.id,
            f"{payload.service} answered with {rows} records",
            payload.service,
        ),
    )
    if set(ANSWERING_SERVICES) <= set(request.answered) | {payload.service}:
        await _finish_export(uow, settings, request, now)


async def _finish_export(
    uow: UnitOfWork, settings: ConsoleSettings, request: store.Request, now: datetime
) -> None:
    answers = await store.answer_records(uow, request.id)
    about = archive.booking_ids(answers) + await store.request_ids_for(uow, request.address_hash)
    document = archive.build(
        request_id=str(request.id),
        requested_at=request.requested_at,
        answers=answers,
        audit=await store.audit_about(uow, about),
    )
    expires = now + timedelta(days=settings.privacy_download_days)
    await store.complete(uow, request.id, now=now, expires_at=expires, archive=document)
    email = await store.email_of(uow, request.id)
    key = settings.privacy_hash_key.get_secret_value()
    url = f"{settings.public_base_url.rstrip('/')}/privacy/download/{request.id}?" + sign_download(
        key, request.id, expires
    )
    uow.emit(
        "console.privacy.export_ready",
        PrivacyExportReady(
            request_id=request.id, email=email, download_url=url, expires_at=expires
        ),
    )
    await audit.record(
        uow,
        _audit_entry(
            None, "privacy.export_completed", request.id, "archive ready; link sent", "console"
        ),
    )


async def record_erasure(payload: PrivacyErased, uow: UnitOfWork) -> None:
    request = await store.get(uow, payload.request_id, lock=True)
    if request is None or request.kind != "erasure":
        log.warning("privacy.answer_for_unknown_request", request_id=str(payload.request_id))
        return
    now = datetime.now(UTC)
    if not await store.add_answer(uow, request.id, payload.service, now=now, counts=payload.counts):
        return
    done = ", ".join(f"{k} {v}" for k, v in sorted(payload.counts.items()))
    await audit.record(
        uow,
        _audit_entry(
            None,
            "privacy.erasure_confirmed",
            request.id,
            f"{payload.service}: {done}"[:500],
            payload.service,
        ),
    )
    if set(ANSWERING_SERVICES) <= set(request.answered) | {payload.service}:
        await store.complete(uow, request.id, now=now)
        # The request messages (this one, and any export's) were the console's last copies
        # of the address, with any export archive still waiting for its download.
        for earlier in [request.id, *await store.forget_exports(uow, request.address_hash)]:
            await scrub_published(uow, str(earlier))
        await audit.record(
            uow,
            _audit_entry(
                None, "privacy.erasure_completed", request.id, "every service confirmed", "console"
            ),
        )
