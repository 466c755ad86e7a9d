"""The console's settings: where the three services are, how sign-in and sessions behave."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, model_validator

from shared.settings import ServiceSettings
from shared.staff_keys import DEV_PRIVATE_KEY_FILE

DEV_ADMIN_PASSWORD = "demo-admin-password"


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    public_base_url: str = "http://127.0.0.1:8004"

    # The staff APIs the console is a client of, exactly as a person with curl would be.
    catalogue_url: str = "http://127.0.0.1:8001"
    bookings_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    # Where partner sites load the widget from (the embed snippet); bookings_url when empty.
    bookings_public_url: str = ""
    # A service slower than this is shown as unavailable on the page that needs it.
    service_timeout_seconds: float = 5.0

    # How long an export's download link works (the archive is dropped after it).
    privacy_download_days: int = 7

    # A session not used for this long ends; the cookie holds only the session's id.
    session_idle_minutes: int = 30
    # Secure cookies need HTTPS: on by default in production only (development runs on http).
    cookie_secure: bool | None = None

    # Failed sign-ins: after this many within the window, further tries are refused until the
    # window has passed, counted per account (email) and, separately, per client address.
    signin_failures_per_account: int = 5
    signin_failures_per_address: int = 20
    signin_window_minutes: int = 15

    # The demo admin `make run` creates (devtools.seed); never created in production.
    demo_admin_email: str = "admin@example.org"
    demo_admin_password: SecretStr = SecretStr(DEV_ADMIN_PASSWORD)

    # OpenID Connect: sign-in through the organisation's provider when an issuer is set.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_display_name: str = "your organisation's account"
    # Which claim lists the person's groups, and which group gives which console role.
    oidc_groups_claim: str = "groups"
    oidc_role_map: dict[str, str] = {}

    # The private key the console signs staff tokens with (PEM text, or a file holding it);
    # the services hold only the public key. `make run` makes the development pair.
    staff_token_signing_key: SecretStr = SecretStr("")
    staff_token_signing_key_file: str = ""

    def signing_key(self) -> str:
        """Read at each use, so a rotated key file takes effect without a restart."""
        if self.staff_token_signing_key.get_secret_value():
            return self.staff_token_signing_key.get_secret_value()
        return Path(self.staff_token_signing_key_file or DEV_PRIVATE_KEY_FILE).read_text()

    def secrets_unused_in_production(self) -> frozenset[str]:
        # Invitations are signed and checked by notifications and bookings, never here; the
        # demo admin is never created in production; no provider, no client secret.
        unused = {"invitation_signing_key", "demo_admin_password"}
        if not self.oidc_enabled:
            unused.add("oidc_client_secret")
        return frozenset(unused)

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is None:
            return self.environment == "production"
        return self.cookie_secure

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @model_validator(mode="after")
    def _check_roles(self) -> ConsoleSettings:
        from services.console.domain.roles import ROLES

        signing = (
            self.staff_token_signing_key.get_secret_value() or self.staff_token_signing_key_file
        )
        if self.environment == "production" and not signing:
            raise ValueError(
                "production mode needs the console's signing key: set STAFF_TOKEN_SIGNING_KEY "
                "or STAFF_TOKEN_SIGNING_KEY_FILE"
            )
        unknown = sorted(set(self.oidc_role_map.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"OIDC_ROLE_MAP names unknown roles: {', '.join(unknown)}")
        return self
