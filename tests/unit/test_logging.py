import json
import logging

import pytest

from shared.logging import (
    accept_correlation_id,
    configure_logging,
    get_logger,
    log_context,
    mask_email,
)


def test_mask_email_hides_the_address_but_keeps_a_shape() -> None:
    assert mask_email("jane.doe@council.gov.uk") == "j***@c***.uk"
    assert "jane" not in (mask_email("jane.doe@council.gov.uk") or "")


def test_request_id_is_kept_only_when_it_is_a_plain_token() -> None:
    assert accept_correlation_id("abc-123_X.y:z") == "abc-123_X.y:z"
    assert accept_correlation_id("bad\r\nheader") != "bad\r\nheader"
    assert accept_correlation_id("x" * 200) != "x" * 200
    assert len(accept_correlation_id(None)) == 32


def test_lines_are_json_with_common_keys_and_no_addresses(capsys) -> None:
    configure_logging("testsvc")
    with log_context(correlation_id="c-1", message_id="m-1"):
        get_logger("t").info("something.happened", detail="mail to someone@example.org failed")
    logging.getLogger("third.party").warning("plain %s", "stdlib")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    ours = next(line for line in lines if line["event"] == "something.happened")
    assert list(ours)[:6] == [
        "timestamp",
        "level",
        "service",
        "event",
        "correlation_id",
        "message_id",
    ]
    assert (ours["service"], ours["correlation_id"], ours["message_id"]) == (
        "testsvc",
        "c-1",
        "m-1",
    )
    assert "someone@example.org" not in json.dumps(ours)
    theirs = next(line for line in lines if line["event"] == "plain stdlib")
    assert theirs["service"] == "testsvc" and theirs["correlation_id"] is None


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("to jane@exämple.org now", ["jane", "exämple"]),
        ("o'brien!x@example.org", ["o'brien", "brien!x"]),
        ("{'sean.o@council.gov.uk': (550, b'no')}", ["sean.o", "council"]),
        ('"jane doe"@example.org refused', ["jane doe", "example"]),
        ("<zoë+tag@bücher.org>", ["zoë", "bücher"]),
    ],
)
def test_every_address_token_is_masked_whatever_its_characters(
    text: str, hidden: list[str]
) -> None:
    from shared.logging import mask_email

    masked = mask_email(text) or ""
    assert "***@" in masked
    for part in hidden:
        assert part not in masked, masked


def test_database_and_validation_errors_are_described_by_type_and_code_only() -> None:
    import pydantic
    from sqlalchemy.exc import IntegrityError

    from shared.logging import describe_error

    class Attendee(pydantic.BaseModel):
        name: str
        age: int

    try:
        Attendee.model_validate({"name": "Jane Secret", "age": "wheelchair user"})
    except pydantic.ValidationError as exc:
        described = describe_error(exc)
    assert "Jane" not in described and "wheelchair" not in described
    assert described == "ValidationError(1 errors: int_parsing)"
    db_error = IntegrityError("INSERT ...", {"name": "Jane Secret"}, Exception("Key (x)=(Jane)"))
    assert "Jane" not in describe_error(db_error)
    assert describe_error(ValueError("for ann@example.org")) == "ValueError: for a***@e***.org"
