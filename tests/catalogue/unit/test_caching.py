"""ETag matching as If-None-Match means it: lists, weak forms and the wildcard."""

from __future__ import annotations

from services.catalogue.api.caching import _matches, etag_of


def test_etag_is_strong_and_depends_on_every_byte() -> None:
    a, b = etag_of(b'{"a":1}'), etag_of(b'{"a":2}')
    assert a.startswith('"') and a.endswith('"') and not a.startswith("W/")
    assert a != b and etag_of(b'{"a":1}') == a


def test_if_none_match_forms() -> None:
    tag = etag_of(b"x")
    assert _matches(tag, tag)
    assert _matches(f'"other", {tag}', tag)
    assert _matches(f"W/{tag}", tag)
    assert _matches("*", tag)
    assert not _matches('"other"', tag)
    assert not _matches(None, tag)
    assert not _matches("", tag)


def test_version_etag_follows_the_version_only() -> None:
    import uuid

    from services.catalogue.api.caching import version_etag

    event = uuid.uuid4()
    assert version_etag(event, 3) == version_etag(event, 3)
    assert len({version_etag(event, 3), version_etag(event, 4), version_etag(uuid.uuid4(), 3)}) == 3
