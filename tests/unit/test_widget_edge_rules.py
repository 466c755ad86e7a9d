"""The pure rules behind the widget's edge: origins as browsers send them, and token buckets."""

from __future__ import annotations

import pytest

from services.bookings.domain.origins import normalise_origin, origin_allowed, same_origin
from services.bookings.domain.rate_limits import Buckets, Limit, retry_after, route_group


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Trafford.gov.uk", "https://www.trafford.gov.uk"),
        ("https://www.trafford.gov.uk:443", "https://www.trafford.gov.uk"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost:80", "http://localhost"),
        ("null", None),
        ("file:///etc/passwd", None),
        ("https://a.example/path", None),
        ("https://user:pw@a.example", None),
        ("https://a.example:99999", None),
    ],
)
def test_origins_normalise_as_browsers_send_them(raw: str, expected: str | None) -> None:
    assert normalise_origin(raw) == expected


def test_an_origin_is_allowed_only_by_its_own_partner_list() -> None:
    allowed = ["https://WWW.stockport.gov.uk:443", "http://127.0.0.1:8080"]
    assert origin_allowed("https://www.stockport.gov.uk", allowed)
    assert not origin_allowed("http://www.stockport.gov.uk", allowed)  # another scheme
    assert not origin_allowed("http://127.0.0.1:8081", allowed)  # another port
    assert not origin_allowed("http://localhost:8080", allowed)  # another spelling
    assert not origin_allowed("null", ["null"])


def test_same_origin_by_host_header_or_public_url() -> None:
    assert same_origin("http://127.0.0.1:8002", "127.0.0.1:8002", "")
    assert same_origin(
        "https://bookings.example.org", "10.0.0.5:8002", "https://bookings.example.org"
    )
    assert not same_origin("https://evil.example", "127.0.0.1:8002", "https://bookings.example.org")


def test_route_groups() -> None:
    assert route_group("POST", "/public/events/x/bookings") == "book"
    assert route_group("GET", "/public/events/x") == "read"
    assert route_group("GET", "/book/x") == "read"
    assert route_group("PATCH", "/public/bookings/t") == "manage"
    assert route_group("GET", "/manage/t") == "manage"
    assert route_group("OPTIONS", "/public/events/x/bookings") is None
    assert route_group("GET", "/widget.js") is None
    assert route_group("GET", "/staff/bookings") is None


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    buckets = Buckets({"book": Limit(burst=2, per_second=0.5)})
    assert [buckets.take("book", "a", 0.0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("book", "a", 0.0) == pytest.approx(2.0)
    assert buckets.take("book", "b", 0.0) == 0.0  # each client its own bucket
    assert buckets.take("book", "a", 1.0) == pytest.approx(1.0)  # half a token back
    assert buckets.take("book", "a", 2.0) == 0.0
    assert buckets.take("read", "a", 0.0) == 0.0  # a group without a limit


def test_full_buckets_are_forgotten() -> None:
    buckets = Buckets({"read": Limit(burst=1, per_second=1)}, sweep_every=2)
    buckets.take("read", "a", 0.0)
    buckets.take("read", "b", 10.0)  # the sweep finds a full again, b still drawn
    assert set(buckets._state) == {("read", "b")}


def test_retry_after_is_whole_seconds_never_zero() -> None:
    assert (retry_after(0.01), retry_after(1.0), retry_after(1.2)) == (1, 1, 2)
