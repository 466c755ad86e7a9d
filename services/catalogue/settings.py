from __future__ import annotations

from shared.settings import ServiceSettings


class CatalogueSettings(ServiceSettings):
    service_name: str = "catalogue"
    public_base_url: str = "http://127.0.0.1:8001"
