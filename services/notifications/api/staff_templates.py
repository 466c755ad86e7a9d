"""Staff routes over templates: preview any of them with sample data, send a test."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status

from services.notifications.api.schemas import ERRORS, PreviewPublic, Queued, TemplateName, TestSend
from services.notifications.api.sending import SendDep
from services.notifications.composing.rendering import TEMPLATE_NAMES
from services.notifications.handlers import previews
from shared.auth import require_role
from shared.web import DbDep

router = APIRouter(
    prefix="/staff/templates", tags=["staff"], dependencies=[Depends(require_role("staff"))]
)


@router.get("", response_model=list[str])
async def list_templates() -> list[str]:
    """The names of every email template."""
    return list(TEMPLATE_NAMES)


@router.get("/{name}/preview", response_model=PreviewPublic, responses=ERRORS)
async def preview_template(name: TemplateName, request: Request) -> PreviewPublic:
    """A template rendered with sample data: subject, plain text and HTML."""
    shown = previews.template_preview(name, request.app.state.settings)
    return PreviewPublic.model_validate(shown, from_attributes=True)


@router.post(
    "/{name}/test", status_code=status.HTTP_202_ACCEPTED, response_model=Queued, responses=ERRORS
)
async def test_template(
    name: TemplateName, body: TestSend, db: DbDep, request: Request, send: SendDep
) -> Queued:
    """Send a template with sample data to one address (queued like any other email)."""
    settings = request.app.state.settings
    delivery_id = await previews.template_test(db, name, body.email, settings, send=send)
    send.committed()
    return Queued(delivery_id=delivery_id)
