"""Staff routes over the suppression list: addresses refused permanently or opted out, and
lifting one. The list serves every programme: reading it is open to staff, lifting to staff
limited to no programme."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.notifications.api.schemas import ERRORS, SuppressionLift, SuppressionPublic
from services.notifications.persistence import suppressions
from shared.addresses import EmailAddress
from shared.auth import require_role
from shared.errors import NotFound
from shared.logging import get_logger, mask_email
from shared.programme_scope import unrestricted_commands
from shared.staff_actions import current_principal, describe_staff_action
from shared.web import DbDep

log = get_logger(__name__)

router = APIRouter(
    prefix="/staff/suppressions",
    tags=["staff"],
    dependencies=[Depends(require_role("staff")), unrestricted_commands("suppressions")],
)


@router.get("", response_model=list[SuppressionPublic], responses=ERRORS)
async def list_suppressions(
    db: DbDep,
    email: EmailAddress | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SuppressionPublic]:
    """Addresses campaign emails skip, newest first: `opted_out` or `bounced` (with the
    server's answer)."""
    async with db.unit_of_work() as uow:
        found = await suppressions.search(uow, email=str(email) if email else None, limit=limit)
    return [SuppressionPublic.model_validate(e, from_attributes=True) for e in found]


@router.post("/lift", response_model=list[SuppressionPublic], responses=ERRORS)
async def lift_suppression(body: SuppressionLift, db: DbDep) -> list[SuppressionPublic]:
    """Let campaign emails reach an address again (its opt-out removed, its bounces so far
    forgiven); 404 if it is not on the list. Answers the entries lifted."""
    principal = current_principal()
    describe_staff_action(target_type="suppression", summary="suppression lifted")
    async with db.unit_of_work() as uow:
        found = await suppressions.search(uow, email=str(body.email), limit=10)
        if not found:
            raise NotFound("this address is not on the suppression list", code="not_suppressed")
        await suppressions.lift(uow, str(body.email), by=principal.subject if principal else None)
        await uow.commit()
    log.info("suppression.lifted", recipient=mask_email(str(body.email)))
    return [SuppressionPublic.model_validate(e, from_attributes=True) for e in found]
