"""Staff routes for partners: the sites that embed the booking widget."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from services.bookings.api.deps import ProcessDep
from services.bookings.api.staff_schemas import PartnerIn, PartnerOut, PartnerPatch
from services.bookings.usecases import partners
from shared.auth import require_role
from shared.programme_scope import unrestricted_commands
from shared.web import Responses

router = APIRouter(
    prefix="/staff/partners",
    tags=["partners"],
    # Partners serve every programme: staff limited to some programmes may not change them.
    dependencies=[Depends(require_role("staff")), unrestricted_commands("partners")],
)
_ERRORS: Responses = {
    401: {"description": "no valid token"},
    403: {"description": "not staff"},
    404: {"description": "unknown partner"},
    422: {"description": "a field is invalid; `detail` names it"},
}


def _out(partner: partners.Partner) -> PartnerOut:
    return PartnerOut.model_validate(partner, from_attributes=True)


@router.get("", response_model=list[PartnerOut], responses=_ERRORS)
async def list_partners(process: ProcessDep) -> list[PartnerOut]:
    """Every partner, by name."""
    return [_out(p) for p in await partners.listing(process.db)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerOut, responses=_ERRORS)
async def create_partner(body: PartnerIn, process: ProcessDep) -> PartnerOut:
    """A new partner with a fresh widget key."""
    partner = await partners.create(
        process.db, name=body.name, allowed_origins=body.allowed_origins
    )
    return _out(partner)


@router.get("/{partner_id}", response_model=PartnerOut, responses=_ERRORS)
async def get_partner(partner_id: uuid.UUID, process: ProcessDep) -> PartnerOut:
    """One partner."""
    return _out(await partners.get(process.db, partner_id))


@router.patch("/{partner_id}", response_model=PartnerOut, responses=_ERRORS)
async def update_partner(
    partner_id: uuid.UUID, body: PartnerPatch, process: ProcessDep
) -> PartnerOut:
    """Rename, change the allowed origins, switch off, or issue a new key."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return _out(await partners.update(process.db, partner_id, **changes))


@router.delete("/{partner_id}", response_model=PartnerOut, responses=_ERRORS)
async def deactivate_partner(partner_id: uuid.UUID, process: ProcessDep) -> PartnerOut:
    """Switch a partner off: its key stops working; its past bookings keep their partner."""
    return _out(await partners.update(process.db, partner_id, active=False))
