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


def test_only_the_issued_spelling_of_a_token_is_accepted() -> None:
    # The last of 43 base64 characters holds 4 bits of the token and 2 the decoder drops: each
    # token has four spellings, and a test that altered the last character passed by chance.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(50):
        booking_id = uuid.uuid4()
        token = manage_token(KEY, booking_id)
        accepted = [c for c in alphabet if booking_id_from_token(KEY, token[:-1] + c)]
        assert accepted == [token[-1]]
