import uuid

from services.bookings.domain.tokens import booking_id_from_token, manage_token

KEY = b"k" * 32


def test_a_token_names_its_booking_and_nothing_else() -> None:
    booking_id = uuid.uuid4()
    token = manage_token(KEY, booking_id)
    assert booking_id_from_token(KEY, token) == booking_id
    assert booking_id_from_token(b"other" * 8, token) is None
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert booking_id_from_token(KEY, forged) is None
    for junk in ("", "x" * 43, "!" * 43, token + "A", "é" * 43):
        assert booking_id_from_token(KEY, junk) is None
