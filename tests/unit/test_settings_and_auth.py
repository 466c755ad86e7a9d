import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from shared.auth import (
    Principal,
    decode_staff_token,
    generate_keypair,
    main,
    sign_staff_token,
)
from shared.settings import ServiceSettings
from shared.staff_keys import JwksKeys, KeysUnavailable, StaticKeys, public_jwk

PRIVATE, PUBLIC = generate_keypair()
ISSUER = "gm-programme"


def test_defaults_work_on_this_machine() -> None:
    settings = ServiceSettings(service_name="bookings", _env_file=None)
    assert settings.database_url.endswith("@127.0.0.1:5432/bookings")
    assert settings.staff_token_public_key_file == "var/keys/staff-signing.pub"


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValidationError, match="INVITATION_SIGNING_KEY"):
        ServiceSettings(environment="production", staff_token_public_key=PUBLIC)


def test_production_refuses_to_start_without_a_staff_token_key() -> None:
    with pytest.raises(ValidationError, match="STAFF_TOKEN_PUBLIC_KEY"):
        ServiceSettings(environment="production", invitation_signing_key="k" * 40)


def test_production_starts_with_a_public_key_or_a_jwks_url() -> None:
    for key in ({"staff_token_public_key": PUBLIC}, {"staff_token_jwks_url": "https://c/jwks"}):
        settings = ServiceSettings(
            environment="production",
            invitation_signing_key="k" * 40,
            privacy_hash_key="p" * 40,
            **key,
        )
        assert settings.environment == "production"
        assert settings.staff_token_public_key_file == ""


async def test_token_round_trip_with_person_and_programmes() -> None:
    programme = uuid.uuid4()
    token = sign_staff_token(
        PRIVATE,
        subject="amy",
        name="Amy Ng",
        roles=["staff"],
        programmes=[str(programme).upper()],
    )
    principal = await decode_staff_token(token, StaticKeys(PUBLIC), issuer=ISSUER)
    assert principal == Principal(
        subject="amy",
        roles=frozenset({"staff"}),
        name="Amy Ng",
        programmes=frozenset({str(programme)}),
    )
    assert principal.may_see_programme(programme)
    assert not principal.may_see_programme(uuid.uuid4())
    assert not principal.may_see_programme(None)
    unrestricted = await decode_staff_token(
        sign_staff_token(PRIVATE, subject="bo", roles=["ops"]), StaticKeys(PUBLIC), issuer=ISSUER
    )
    assert unrestricted.programmes is None and unrestricted.name is None
    assert unrestricted.may_see_programme(uuid.uuid4())


async def test_refusals() -> None:
    keys = StaticKeys(PUBLIC)
    other_private, _ = generate_keypair()
    with pytest.raises(jwt.InvalidTokenError, match="unknown key"):
        await decode_staff_token(
            sign_staff_token(other_private, subject="m", roles=["staff"]), keys, issuer=ISSUER
        )
    expired = sign_staff_token(PRIVATE, subject="m", roles=["staff"], ttl=timedelta(seconds=-5))
    with pytest.raises(jwt.ExpiredSignatureError):
        await decode_staff_token(expired, keys, issuer=ISSUER)
    foreign = sign_staff_token(PRIVATE, subject="m", roles=["staff"], issuer="elsewhere")
    with pytest.raises(jwt.InvalidIssuerError):
        await decode_staff_token(foreign, keys, issuer=ISSUER)
    with pytest.raises(ValueError):
        sign_staff_token(PRIVATE, subject="m", roles=["staff"], programmes=["not-an-id"])


def test_admin_satisfies_every_role() -> None:
    admin = Principal(subject="a", roles=frozenset({"admin"}))
    door = Principal(subject="d", roles=frozenset({"checkin"}))
    assert admin.has_any_role(["ops"]) and admin.has_any_role(["checkin", "staff"])
    assert door.has_any_role(["checkin", "staff"]) and not door.has_any_role(["staff"])


async def test_a_key_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "staff.pub"
    keys = StaticKeys(path=str(path))
    token = sign_staff_token(PRIVATE, subject="amy", roles=["staff"])
    with pytest.raises(KeysUnavailable):
        await decode_staff_token(token, keys, issuer=ISSUER)
    path.write_text(PUBLIC)
    assert (await decode_staff_token(token, keys, issuer=ISSUER)).subject == "amy"


class _JwksServer:
    """A real HTTP server (a thread on loopback) serving a JWKS document that a test changes."""

    def __init__(self) -> None:
        self.document: dict[str, object] = {"keys": []}
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    server = _JwksServer()
    try:
        yield server
    finally:
        server.close()


async def test_jwks_keys_are_cached_and_fetched_again_for_a_new_kid(
    jwks_server: _JwksServer,
) -> None:
    new_private, new_public = generate_keypair()
    jwks_server.document = {"keys": [public_jwk(PUBLIC)]}
    keys = JwksKeys(jwks_server.url, min_refetch_interval=0)
    token = sign_staff_token(PRIVATE, subject="amy", roles=["staff"])
    for _ in range(3):
        assert (await decode_staff_token(token, keys, issuer=ISSUER)).subject == "amy"
    assert jwks_server.fetches == 1
    # The console rotates its key: a token with the new kid makes the service fetch again.
    jwks_server.document = {"keys": [public_jwk(new_public), public_jwk(PUBLIC)]}
    rotated = sign_staff_token(new_private, subject="bo", roles=["staff"])
    assert (await decode_staff_token(rotated, keys, issuer=ISSUER)).subject == "bo"
    assert jwks_server.fetches == 2


async def test_unknown_kids_do_not_hammer_the_key_server(jwks_server: _JwksServer) -> None:
    jwks_server.document = {"keys": [public_jwk(PUBLIC)]}
    keys = JwksKeys(jwks_server.url, min_refetch_interval=60)
    forger, _ = generate_keypair()
    for _ in range(5):
        with pytest.raises(jwt.InvalidTokenError, match="unknown key"):
            await decode_staff_token(
                sign_staff_token(forger, subject="m", roles=["staff"]), keys, issuer=ISSUER
            )
    assert jwks_server.fetches == 1


async def test_an_unreachable_jwks_url_fails_within_its_timeout() -> None:
    # A listening socket that never answers: the fetch must give up after the timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        keys = JwksKeys(f"http://127.0.0.1:{silent.getsockname()[1]}/jwks", timeout=0.5)
        token = sign_staff_token(PRIVATE, subject="amy", roles=["staff"])
        started = time.monotonic()
        with pytest.raises(KeysUnavailable):
            await decode_staff_token(token, keys, issuer=ISSUER)
        assert time.monotonic() - started < 10
    finally:
        silent.close()


async def test_the_cli_makes_keys_and_mints_a_token_with_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keygen", "--dir", str(tmp_path)]) == 0
    first = (tmp_path / "staff-signing.pub").read_text()
    assert main(["keygen", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "staff-signing.pub").read_text() == first, "keygen must keep a key"
    assert (tmp_path / "staff-signing.key").stat().st_mode & 0o077 == 0
    capsys.readouterr()
    programme = str(uuid.uuid4())
    args = ["mint", "--role", "staff", "--role", "checkin", "--subject", "script"]
    args += ["--programme", programme, "--key", str(tmp_path / "staff-signing.key")]
    assert main(args) == 0
    token = capsys.readouterr().out.strip()
    principal = await decode_staff_token(token, StaticKeys(first), issuer=ISSUER)
    assert principal.subject == "script"
    assert principal.roles == {"staff", "checkin"}
    assert principal.programmes == {programme}
    with pytest.raises(SystemExit):
        main(["mint", "--role", "staff", "--key", str(tmp_path / "missing.key")])
