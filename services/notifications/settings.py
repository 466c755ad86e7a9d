from __future__ import annotations

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    public_base_url: str = "http://127.0.0.1:8003"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_timeout: float = 10.0
    mail_from: str = "Leading GM Programme <programme@leadinggm.example.org>"
    programme_name: str = "Leading GM Leadership Programme"
