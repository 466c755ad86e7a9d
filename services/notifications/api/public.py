"""Public routes: the one-click unsubscribe link of campaign emails (RFC 8058), and the
"I can't come" link of invitations."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.notifications.handlers import answers, optouts
from shared.web import DbDep, Responses

router = APIRouter(prefix="/public", tags=["public"])

_NOT_FOUND: Responses = {404: {"description": "the link is not valid"}}

_PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;">
<h1 style="font-size:1.4em;">{title}</h1>{body}</body></html>"""


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, responses=_NOT_FOUND)
async def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
    """The page behind the link in the email: a button, so a link scanner opening the page
    does not unsubscribe anyone."""
    optouts.check(token, request.app.state.settings)
    action = escape(str(request.url), quote=True)
    body = (
        "<p>Stop receiving invitations from the programme? Emails about your own bookings "
        "will still reach you.</p>"
        f'<form method="post" action="{action}"><button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe from invitations", body=body))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, responses=_NOT_FOUND)
async def unsubscribe(token: str, db: DbDep, request: Request) -> HTMLResponse:
    """One click (also what mail clients POST for `List-Unsubscribe-Post`): no more campaign
    emails to this address."""
    masked = await optouts.unsubscribe(db, token, request.app.state.settings)
    body = f"<p>Done: {escape(masked)} will receive no more invitations.</p>"
    return HTMLResponse(_PAGE.format(title="You are unsubscribed", body=body))


@router.get("/answers/{token}", response_class=HTMLResponse, responses=_NOT_FOUND)
async def decline_page(token: str, request: Request) -> HTMLResponse:
    """The page behind "I can't come": a button, so a link scanner answers nothing."""
    answers.check(token, request.app.state.settings)
    action = escape(str(request.url), quote=True)
    body = (
        "<p>Tell the programme team you cannot come? You will get no more reminders about "
        "this event; you can still book from the invitation if your plans change.</p>"
        f'<form method="post" action="{action}"><button type="submit">I can\'t come</button>'
        "</form>"
    )
    return HTMLResponse(_PAGE.format(title="Can't make it?", body=body))


@router.post("/answers/{token}", response_class=HTMLResponse, responses=_NOT_FOUND)
async def decline(token: str, db: DbDep, request: Request) -> HTMLResponse:
    """Record "I can't come" for this invitee and event; reminders to them stop."""
    await answers.decline(db, token, request.app.state.settings)
    body = "<p>Thank you for letting us know. You will get no more reminders about it.</p>"
    return HTMLResponse(_PAGE.format(title="Thank you", body=body))
