"""What every service client shares: one HTTP call with the per-request token, and the two
ways a call goes wrong for a page (the service is away; the service refused, with reasons)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from shared.logging import current_correlation_id
from shared.web import REQUEST_ID_HEADER


class ServiceUnavailable(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable")
        self.service = service


class ServiceRefused(Exception):
    """A 4xx answer: `detail` is the service's reason, `fields` its per-field reasons keyed by
    the field's dotted location in the body (`sessions.0.starts_at`)."""

    def __init__(self, service: str, status: int, body: Any) -> None:
        self.service = service
        self.status = status
        self.code = body.get("code", "") if isinstance(body, dict) else ""
        detail = body.get("detail") if isinstance(body, dict) else None
        self.fields: dict[str, str] = {}
        if isinstance(detail, list):
            for item in detail:
                loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query")]
                self.fields[".".join(loc) or "_"] = str(item.get("msg", "invalid"))
            self.detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        else:
            self.detail = str(detail or f"{service} answered {status}")
        super().__init__(self.detail)


def _headers(token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    correlation_id = current_correlation_id()
    if correlation_id:
        headers[REQUEST_ID_HEADER] = correlation_id
    return headers


class ServiceClient:
    def __init__(self, service: str, base_url: str, http: httpx.AsyncClient, token: str) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.token = token

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON (None for 204); raises ServiceUnavailable or ServiceRefused."""
        headers = {**_headers(self.token), **kwargs.pop("headers", {})}
        try:
            answer = await self.http.request(
                method, self.base_url + path, headers=headers, **kwargs
            )
        except httpx.HTTPError:
            raise ServiceUnavailable(self.service) from None
        if answer.status_code >= 500:
            raise ServiceUnavailable(self.service)
        if answer.status_code >= 400:
            try:
                body = answer.json()
            except ValueError:
                body = {}
            raise ServiceRefused(self.service, answer.status_code, body)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()

    @asynccontextmanager
    async def stream(self, path: str) -> AsyncIterator[httpx.Response]:
        try:
            async with self.http.stream(
                "GET", self.base_url + path, headers=_headers(self.token)
            ) as answer:
                if answer.status_code >= 500:
                    raise ServiceUnavailable(self.service)
                if answer.status_code >= 400:
                    await answer.aread()
                    raise ServiceRefused(self.service, answer.status_code, answer.json())
                yield answer
        except httpx.HTTPError:
            raise ServiceUnavailable(self.service) from None
