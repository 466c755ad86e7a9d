"""The everyday-address shortcut of shared/addresses.py gives exactly email_validator's answer
wherever it answers at all."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.addresses import _plain

# Near the shortcut's edges: dots anywhere, hyphens, digits, capitals, reserved and numeric
# top-level names, over-long parts.
_LOCAL = st.from_regex(r"[A-Za-z0-9._%+\-!#'~]{0,70}", fullmatch=True)
_LABEL = st.from_regex(r"[A-Za-z0-9\-]{0,66}", fullmatch=True)
_TLD = st.sampled_from(["org", "uk", "COM", "test", "localhost", "invalid", "c", "123", "x-y"])
_DOMAIN = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, max_size=4), _TLD
)


def _validator(address: str) -> str | None:
    try:
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return result.ascii_email or result.normalized


@settings(max_examples=3000, deadline=None)
@given(local=_LOCAL, domain=_DOMAIN)
@example(local="jane.doe+events", domain="Council.GOV.uk")
@example(local="a" * 64, domain="b" * 63 + ".org")
@example(local=".jane", domain="example.org")
@example(local="jane", domain="ab--cd.org")
@example(local="jane", domain="mail.test")
def test_the_shortcut_agrees_with_email_validator(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    shortcut = _plain(address)
    if shortcut is not None:
        assert shortcut == _validator(address)


def test_the_shortcut_takes_everyday_addresses() -> None:
    assert _plain("Jane.Doe+events@Council.GOV.uk") == "Jane.Doe+events@council.gov.uk"
    assert _plain("zoë@example.org") is None  # email_validator explains the refusal
    assert _plain("jane@exämple.org") is None  # and makes the IDNA form
