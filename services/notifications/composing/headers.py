"""Header lines written by hand, so that nothing a person typed can change an email's headers.

The standard library's header factory *parses* the value it is given: an RFC 2047 encoded word
inside a name or a title (`=?utf-8?q?=0D=0AReply-To...?=`) is decoded into raw line breaks and
written out as new headers. So values are never handed to a parser here. Text that is plain
printable ASCII without a `=?` is written as it is (folded at spaces); anything else is written
whole as base64 encoded words, which a receiving parser decodes back to exactly the literal
text, `=?` sequences, quotes, commas and `<...@...>` included, and which cannot contain a line
break, a quote or a comma of its own. Display names that are ASCII are written as atoms or
as a quoted string (with `=?` escaped), non-ASCII ones with encoded words. Every finished
line then goes through `checked`: one header, ASCII, no bare CR or LF, no physical line over
998 characters, or a refusal.
"""

from __future__ import annotations

import base64
import re
from itertools import groupby

from services.notifications.domain.emails import clean_header
from shared.addresses import InvalidAddress, normalise_address


class InvalidRecipient(ValueError):
    """The address cannot be written in an email header at all."""


class UnsafeHeader(ValueError):
    """A header line that would not be exactly one header: never sent."""


# Atoms and spaces only: such a name needs neither quoting nor encoding (most names).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 '\-]{1,60}")
_PLAIN_TEXT = re.compile(r"[ -~]*")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_DOT_ATOM_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}")
_NAME = re.compile(rb"[!-9;-~]{1,76}: ")
_WIDTH = 78
# 45 bytes of UTF-8 make 60 base64 characters: with `=?utf-8?b?` and `?=`, 72 per word.
_CHUNK = 45


def checked(line: bytes) -> bytes:
    """The last gate before a header line joins a message: exactly one header, or a refusal."""
    if not line.endswith(b"\r\n") or not _NAME.match(line):
        raise UnsafeHeader("a header line must be `Name: value` ending in CRLF")
    physical = line[:-2].split(b"\r\n")
    for n, part in enumerate(physical):
        if b"\r" in part or b"\n" in part or len(part) > 998 or (n and part[:1] not in b" \t"):
            raise UnsafeHeader(f"{line[: line.index(b':')].decode()} would not be one header")
    if not line.isascii():
        raise UnsafeHeader("header lines are ASCII")
    return line


def encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded words of at most 72 characters, never splitting a character."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > _CHUNK:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    if chunk:
        words.append("".join(chunk))
    return [f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words]


def _needs_encoding(text: str) -> bool:
    return "=?" in text or not _PLAIN_TEXT.fullmatch(text)


def _fold_words(start: str, words: list[str], joiner: str = " ") -> str:
    """Greedy folding: a new physical line (starting with a space) when the next word would
    pass 78 characters. Unfolding (removing CRLF) gives back the words joined by `joiner`."""
    lines, line = [], start
    for n, word in enumerate(words):
        glue = "" if n == 0 else joiner
        if n and len(line) + len(glue) + len(word) > _WIDTH:
            lines.append(line)
            line = " " + word
        else:
            line += glue + word
    lines.append(line)
    return "\r\n".join(lines)


def text_header(name: str, value: str) -> bytes:
    """An unstructured header (Subject, X-Correlation-ID) whose value displays as `value`."""
    value = clean_header(value, limit=900)
    if _needs_encoding(value):
        # Between encoded words, folding whitespace is dropped by decoders: nothing is lost.
        folded = _fold_words(f"{name}: ", encoded_words(value), joiner=" ")
    else:
        folded = _fold_words(f"{name}: ", value.split(" "), joiner=" ")
    return checked(f"{folded}\r\n".encode("ascii"))


def ascii_address(email: str) -> str:
    """The address as it can appear in a header (and in RCPT TO): dot-atom ASCII, a domain
    in its IDNA form. Anything else is refused rather than written."""
    email = email.strip()
    if _DOT_ATOM_ADDRESS.fullmatch(email):
        return email
    try:
        return normalise_address(email)
    except InvalidAddress as exc:
        raise InvalidRecipient(f"not a usable address: {exc}") from None


def _quoted(text: str) -> str:
    # `\=` is a quoted-pair meaning `=`: RFC 2047 forbids decoding encoded words inside a
    # quoted string, and the escape stops lenient parsers (Python's among them) from doing so.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("=?", "\\=?")
    return f'"{escaped}"'


def _kind(word: str) -> str:
    if word.isascii():
        return "atom" if _ATOM.fullmatch(word) and "=?" not in word else "quoted"
    return "encoded"


def _phrase(display: str) -> list[str]:
    """A display name as header tokens that parsers read back as exactly `display`: atoms as
    they are, ASCII with specials as quoted strings, non-ASCII words as encoded words (so
    encoded words stay short and hold only non-ASCII text: Python's parser, unlike RFC 2047,
    keeps the space between two adjacent encoded words)."""
    if _PLAIN_NAME.fullmatch(display):
        return [display]
    tokens: list[str] = []
    for kind, group in groupby(display.split(" "), key=_kind):
        words = list(group)
        if kind == "atom":
            tokens.extend(words)
        elif kind == "quoted":
            tokens.append(_quoted(" ".join(words)))
        else:
            tokens.extend(encoded_words(" ".join(words)))
    return tokens


def address_header(name: str, display_name: str | None, email: str) -> bytes:
    """`To: Name <address>`: the display name is never parsed, only written as atoms, a
    quoted string, or encoded words, whichever reads back as the literal name."""
    addr = ascii_address(email)
    display = clean_header(display_name or "")
    if not display:
        return checked(f"{name}: {addr}\r\n".encode("ascii"))
    folded = _fold_words(f"{name}: ", [*_phrase(display), f"<{addr}>"])
    return checked(f"{folded}\r\n".encode("ascii"))


def verbatim_header(name: str, value: str) -> bytes:
    """A header written as given: for URLs (`List-Unsubscribe`), which encoding would turn
    into something no mail client follows. Refuses anything that is not one ASCII line."""
    line = f"{name}: {value}"
    if "\r" in line or "\n" in line or len(line) > 990 or not line.isascii():
        raise UnsafeHeader(f"{name} cannot be written verbatim")
    return checked(f"{line}\r\n".encode("ascii"))
