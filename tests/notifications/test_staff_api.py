"""The HTTP side: every staff route refuses intruders (found by walking app.routes), every
endpoint answers bad input with a clear 4xx naming the field, previews and test sends work."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.notifications.app import create_app
from services.notifications.composing.rendering import TEMPLATE_NAMES
from tests.conftest import settings_for, token
from tests.notifications.conftest import Bus, notifications, parse
from tests.notifications.factories import event_state, unique_email
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.staff_keys import OTHER_SIGNING_KEY
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.router.routes):
        if route.path.startswith("/staff"):
            path = (
                re.sub(r"\{[^}]+\}", "confirmation", route.path)
                if "{name}" in route.path
                else route.path
            )
            path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


async def test_every_staff_route_refuses_no_token_a_bad_token_and_the_wrong_role(
    infra: Infra,
) -> None:
    app = create_app(settings_for("notifications", infra))
    routes = staff_routes(app)
    assert len(routes) >= 14
    intruders = {
        "no token": {},
        "garbage": {"Authorization": "Bearer garbage"},
        "expired": {"Authorization": f"Bearer {token('staff', ttl=timedelta(seconds=-1))}"},
        "other key": {"Authorization": f"Bearer {token('staff', key=OTHER_SIGNING_KEY)}"},
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method, path in routes:
            for case, headers in intruders.items():
                answer = await client.request(method, path, headers=headers, json={})
                assert answer.status_code == 401, (method, path, case)
            wrong = {"Authorization": f"Bearer {token('ops')}"}
            answer = await client.request(method, path, headers=wrong, json={})
            assert answer.status_code == 403, (method, path)


def field_of(answer: httpx.Response) -> list[str]:
    """The names along each error's location (`["body", "audience", "emails", "0"]`)."""
    assert answer.status_code == 422, answer.text
    return [str(part) for err in answer.json()["detail"] for part in err["loc"]]


async def test_bad_input_on_every_endpoint_is_a_clear_4xx(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    missing = str(uuid.uuid4())
    async with notifications(infra, smtp) as (_, client):
        c = client
        get = lambda path, **kw: c.get(path, headers=STAFF, **kw)  # noqa: E731
        post = lambda path, **kw: c.post(path, headers=STAFF, **kw)  # noqa: E731

        assert "booking_id" in field_of(await get("/staff/deliveries", params={"booking_id": "x"}))
        assert "state" in field_of(await get("/staff/deliveries", params={"state": "lost"}))
        assert "limit" in field_of(await get("/staff/deliveries", params={"limit": 0}))
        assert "delivery_id" in field_of(await get("/staff/deliveries/nope"))
        assert (await get(f"/staff/deliveries/{missing}")).status_code == 404
        assert (await get(f"/staff/deliveries/{missing}/message")).status_code == 404

        assert "name" in field_of(await get("/staff/templates/nope/preview"))
        assert "email" in field_of(
            await post("/staff/templates/confirmation/test", json={"email": "not-an-address"})
        )
        assert "email" in field_of(await post("/staff/templates/confirmation/test", json={}))
        broken = await c.post(
            "/staff/templates/confirmation/test",
            content=b"{",
            headers={**STAFF, "content-type": "application/json"},
        )
        assert broken.status_code in (400, 422)

        event = event_state()
        good = {
            "event_id": str(event.event_id),
            "audience": {"emails": [unique_email()]},
            "subject": "Hi",
        }
        assert "event_id" in field_of(await post("/staff/campaigns", json=good))  # not published
        await bus.publish("catalogue.event.published", event)
        assert "audience" in field_of(await post("/staff/campaigns", json={**good, "audience": {}}))
        assert "subject" in field_of(await post("/staff/campaigns", json={**good, "subject": ""}))
        assert "subject" in field_of(
            await post("/staff/campaigns", json={**good, "subject": "x" * 201})
        )
        assert "template" in field_of(
            await post("/staff/campaigns", json={**good, "template": "../../etc"})
        )
        assert "send_at" in field_of(
            await post("/staff/campaigns", json={**good, "send_at": "2030-01-01T09:00:00"})
        )
        bad_email = {**good, "audience": {"emails": ["bad"]}}
        assert "emails" in field_of(await post("/staff/campaigns", json=bad_email))
        bad_cohort = {**good, "audience": {"cohort_ids": ["x"]}}
        assert "cohort_ids" in field_of(await post("/staff/campaigns", json=bad_cohort))

        created = await wait_for(lambda: _created(client, good), timeout=10)
        cid = created["id"]
        for action in ("launch", "pause", "resume", "cancel"):
            assert (await post(f"/staff/campaigns/{missing}/{action}")).status_code == 404
            assert "campaign_id" in field_of(await post(f"/staff/campaigns/nope/{action}"))
        assert (await get(f"/staff/campaigns/{missing}")).status_code == 404
        assert (await get(f"/staff/campaigns/{missing}/preview")).status_code == 404
        assert (
            await post(f"/staff/campaigns/{missing}/test", json={"email": unique_email()})
        ).status_code == 404
        assert "email" in field_of(
            await get(f"/staff/campaigns/{cid}/preview", params={"email": "bad"})
        )
        assert "email" in field_of(
            await post(f"/staff/campaigns/{cid}/test", json={"email": "bad"})
        )
        assert (await post(f"/staff/campaigns/{cid}/pause")).status_code == 409  # a draft
        assert (await post(f"/staff/campaigns/{cid}/resume")).status_code == 409
        assert (await post(f"/staff/campaigns/{cid}/launch")).status_code == 200
        again = await post(f"/staff/campaigns/{cid}/launch")
        assert again.status_code == 409 and again.json()["code"] == "campaign_status"

        assert (await c.get("/public/unsubscribe/forged")).status_code == 404
        assert (await c.post("/public/unsubscribe/forged")).status_code == 404


async def _created(client: httpx.AsyncClient, body: dict) -> dict | None:  # type: ignore[type-arg]
    answer = await client.post("/staff/campaigns", json=body, headers=STAFF)
    return answer.json() if answer.status_code == 201 else None  # type: ignore[no-any-return]


async def test_previews_of_every_template_and_test_sends(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    tester = unique_email("staff")
    async with notifications(infra, smtp) as (_, client):
        listed = (await client.get("/staff/templates", headers=STAFF)).json()
        assert listed == list(TEMPLATE_NAMES)
        for name in TEMPLATE_NAMES:
            shown = (await client.get(f"/staff/templates/{name}/preview", headers=STAFF)).json()
            assert shown["subject"] and "Leading GM Leadership Programme" in shown["text"]
            assert shown["html"].startswith("<!doctype html>")
        sent = await client.post(
            "/staff/templates/confirmation/test", json={"email": tester}, headers=STAFF
        )
        assert sent.status_code == 202
        invite = await client.post(
            "/staff/templates/invitation/test", json={"email": tester}, headers=STAFF
        )
        assert invite.status_code == 202
        both = await wait_for(lambda: len(smtp.to(tester)) == 2 and smtp.to(tester), timeout=15)
        row = await wait_for(lambda: _sent_row(client, sent.json()["delivery_id"]), timeout=10)
        raw = await client.get(
            f"/staff/deliveries/{sent.json()['delivery_id']}/message", headers=STAFF
        )
    subjects = sorted(str(m["Subject"]) for m in both)
    assert subjects == [
        "You are invited: Reunion and Reflection",
        "Your place is confirmed: Reunion and Reflection",
    ]
    assert row["state"] == "sent" and row["kind"] == "test:confirmation"
    assert raw.headers["content-type"] == "message/rfc822"
    stored = parse(raw.content)
    assert [p.get_content_type() for p in stored.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]


async def _sent_row(client: httpx.AsyncClient, delivery_id: str) -> dict | None:  # type: ignore[type-arg]
    row = (await client.get(f"/staff/deliveries/{delivery_id}", headers=STAFF)).json()
    return row if row["state"] == "sent" else None  # type: ignore[no-any-return]
