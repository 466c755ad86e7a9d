from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from shared.auth import decode_token, mint_token
from shared.settings import DEV_JWT_SECRET, ServiceSettings


def test_defaults_work_on_this_machine() -> None:
    settings = ServiceSettings(service_name="bookings", _env_file=None)
    assert settings.database_url.endswith("@127.0.0.1:5432/bookings")


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        ServiceSettings(environment="production", invitation_signing_key="x" * 40)


def test_production_starts_with_real_secrets() -> None:
    settings = ServiceSettings(
        environment="production", jwt_secret="s" * 40, invitation_signing_key="k" * 40
    )
    assert settings.environment == "production"


def test_token_round_trip_and_refusals() -> None:
    token = mint_token(DEV_JWT_SECRET, roles=["staff"], subject="amy")
    principal = decode_token(token, DEV_JWT_SECRET, issuer="gm-programme")
    assert principal.subject == "amy" and principal.roles == {"staff"}
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, "another-key-that-is-long-enough-for-hs256", issuer="gm-programme")
    expired = mint_token(DEV_JWT_SECRET, roles=["staff"], ttl=timedelta(seconds=-5))
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(expired, DEV_JWT_SECRET, issuer="gm-programme")
