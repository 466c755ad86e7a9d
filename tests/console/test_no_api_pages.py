"""The console is an HTML application: it serves no Swagger, ReDoc or OpenAPI pages in any
mode (the three services keep theirs outside production). The running console's 404s for these
paths are checked in tests/browser/test_console_pages.py."""

from __future__ import annotations

from typing import Literal

import pytest

from services.catalogue.app import create_app as create_catalogue
from services.catalogue.settings import CatalogueSettings
from services.console.app import create_app
from services.console.settings import ConsoleSettings

API_PAGES = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_console_has_no_api_pages(environment: Literal["development", "test"]) -> None:
    app = create_app(ConsoleSettings(environment=environment))
    paths = {getattr(route, "path", "") for route in app.routes}
    assert app.openapi_url is None and app.docs_url is None and app.redoc_url is None
    assert not paths & API_PAGES


def test_a_service_outside_production_still_has_them() -> None:
    # The switch is the console's alone: the services' API pages stay for developers.
    app = create_catalogue(CatalogueSettings(environment="development"))
    assert {getattr(route, "path", "") for route in app.routes} >= API_PAGES
