"""The key pair this test session signs staff tokens with (made once per session, never on
disk): services in-process get the public key through `settings_for`, services started as
processes through STAFF_TOKEN_PUBLIC_KEY. A second private key stands for a forger."""

from __future__ import annotations

from shared.auth import generate_keypair

SIGNING_KEY, PUBLIC_KEY = generate_keypair()
OTHER_SIGNING_KEY, _OTHER_PUBLIC_KEY = generate_keypair()
