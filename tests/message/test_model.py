"""The message model: parse once, keep raw bytes, decoded views, hostile input bounded."""

from __future__ import annotations

import time

import pytest

from mailwarden.errors import MessageError
from mailwarden.message import parse_message
from mailwarden.message.model import normalize_line_endings

SIMPLE = (
    b"Received: from a.example (a.example [192.0.2.1])\n\tby mx.example with ESMTP id 1; Mon, 9 Nov 2026 21:42:07 +0000\n"
    b"From: Alice <alice@example.com>\n"
    b"To: bob@example.net\n"
    b"Subject: =?utf-8?B?SGVsbG8g4pyT?=\n"
    b"Message-ID: <abc@example.com>\n"
    b"\n"
    b"Body line 1\nBody line 2\n"
)


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"])
def test_line_endings_all_become_crlf(ending):
    message = parse_message(SIMPLE.replace(b"\n", ending))
    assert message.body == b"Body line 1\r\nBody line 2\r\n"
    assert message.headers[0].raw.endswith(b"\r\n")
    assert b"\r\n\tby mx.example" in message.headers[0].raw
    assert [h.name for h in message.headers] == ["Received", "From", "To", "Subject", "Message-ID"]


def test_raw_header_bytes_are_kept_exactly():
    message = parse_message(b"Subject:  two  spaces \r\n\tfolded\r\nFrom: a@b.example\r\n\r\nx")
    assert message.headers[0].raw == b"Subject:  two  spaces \r\n\tfolded\r\n"
    assert message.headers[0].raw_value == b"  two  spaces \r\n\tfolded"
    assert message.headers[0].value == "two  spaces \tfolded"


def test_decoded_views():
    message = parse_message(SIMPLE)
    assert [a.address for a in message.from_addresses] == ["alice@example.com"]
    assert message.from_addresses[0].display_name == "Alice"
    assert message.subject == "Hello ✓"
    assert message.message_id == "<abc@example.com>"
    assert message.get("to") == "bob@example.net"
    assert message.get_all("X-Missing") == []
    assert message.received[0].ip == "192.0.2.1"


def test_headers_only_paste_has_no_body():
    message = parse_message(b"From: alice@example.com\nSubject: hi\nReceived: from x by y; Mon, 9 Nov 2026 21:42:07 +0000")
    assert message.body is None and not message.has_body
    assert message.subject == "hi"


def test_mbox_from_line_is_skipped():
    message = parse_message(b"From MAILER-DAEMON Mon Nov  9 21:42:07 2026\nFrom: a@b.example\n\nbody")
    assert [h.name for h in message.headers] == ["From"]


def test_eight_bit_and_broken_encodings():
    message = parse_message(b"Subject: caf\xe9 \xff\xfe\nFrom: =?bogus?Q?J=FCrgen?= <j@example.de>\n\n\xff")
    assert message.subject.startswith("caf")
    assert message.from_addresses[0].address == "j@example.de"
    assert message.body == b"\xff"


def test_nul_bytes_do_not_break_parsing():
    message = parse_message(b"From: a@b.example\nX-Nul: a\x00b\n\nbody\x00")
    assert message.get("X-Nul") == "a\x00b"
    assert message.body == b"body\x00"


def test_lines_that_are_not_headers_are_defects_not_errors():
    message = parse_message(b"From: a@b.example\nthis is not a header\nTo: c@d.example\n\nx")
    assert [h.name for h in message.headers] == ["From", "To"]
    assert message.defects


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_input_is_a_clear_error(data):
    with pytest.raises(MessageError):
        parse_message(data)


def test_garbage_is_a_clear_error():
    with pytest.raises(MessageError, match="does not look like"):
        parse_message(b"\x00\x01\x02 binary garbage without any colon")


def test_normalize_line_endings_mixed():
    assert normalize_line_endings(b"a\r\nb\nc\rd\r\n") == b"a\r\nb\r\nc\r\nd\r\n"


def test_with_headers_prepended_keeps_everything_else():
    message = parse_message(SIMPLE)
    stamped = message.with_headers_prepended(b"Authentication-Results: mx.example; spf=pass")
    assert stamped.headers[0].name == "Authentication-Results"
    assert stamped.headers[1:] == message.headers
    assert stamped.as_bytes().endswith(b"\r\n\r\nBody line 1\r\nBody line 2\r\n")


# --------------------------------------------------------------------- hostile input


def _timed(data: bytes) -> tuple[object, float]:
    start = time.monotonic()
    try:
        result: object = parse_message(data)
    except MessageError as exc:
        result = exc
    return result, time.monotonic() - start


@pytest.mark.slow
def test_ten_megabyte_header_block_is_bounded():
    data = b"".join(b"X-Filler-%d: %s\n" % (i, b"v" * 90) for i in range(100_000)) + b"\nbody"
    assert len(data) > 10 * 1024 * 1024
    result, elapsed = _timed(data)
    assert elapsed < 10
    assert isinstance(result, MessageError) or len(result.headers) == 100_000


@pytest.mark.slow
def test_one_megabyte_header_line():
    data = b"From: a@b.example\nSubject: " + b"A" * (1024 * 1024) + b"\nReceived: " + b"(" * 500_000 + b"\n\nbody"
    result, elapsed = _timed(data)
    assert elapsed < 5
    assert len(result.subject) == 1024 * 1024
    assert result.received[0].ip is None
    assert result.from_addresses[0].address == "a@b.example"


@pytest.mark.slow
def test_ten_thousand_received_headers():
    hop = b"Received: from h%d.example (h%d.example [192.0.2.%d]) by mx.example with ESMTP id %d; Mon, 9 Nov 2026 21:42:07 +0000\n"
    data = b"".join(hop % (i, i, i % 250, i) for i in range(10_000)) + b"From: a@b.example\n\nbody"
    result, elapsed = _timed(data)
    hops = result.received
    assert len(hops) == 10_000 and hops[9_999].ip == "192.0.2.249"
    assert elapsed < 10


def test_too_many_header_fields_is_a_clear_error(monkeypatch):
    import mailwarden.message.model as model

    monkeypatch.setattr(model, "MAX_HEADERS", 100)
    with pytest.raises(MessageError, match="more than 100"):
        parse_message(b"X: y\n" * 200 + b"\nbody")


def test_hostile_from_with_a_million_commas_is_bounded():
    data = b"From: " + b"a@b.example, " * 100_000 + b"\n\nx"
    result, elapsed = _timed(data)
    assert elapsed < 5
    assert 0 < len(result.from_addresses) <= 1000


# --------------------------------------------------------------------- corpora


def corpus_messages(root):
    suffixes = {".eml", ".txt", ".msg", ".message", ".mbox", ""}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "LICENSE" in path.name or "README" in path.name or not path.stat().st_size:
            continue
        if path.suffix in suffixes or path.suffix.startswith(".message_"):
            yield path


def split_mbox(data: bytes) -> list[bytes]:
    """Messages of an mbox file (split at "From " separator lines)."""
    import re

    if not data.startswith(b"From "):
        return [data]
    return [part for part in re.split(rb"(?:^|\n)(?=From \S+ )", data) if part.strip()]


def test_every_corpus_message_parses(corpora):
    parsed = 0
    failures = []
    for folder in ("bounces", "dkim-vectors", "dmarc-reports", "dmarc-authres-tests"):
        for path in corpus_messages(corpora / folder):
            data = path.read_bytes()
            if b":" not in data[:2000]:
                continue  # key files, record bodies: not messages
            for one in split_mbox(data):
                try:
                    message = parse_message(one)
                    message.from_addresses, message.received, message.subject, message.message_id  # noqa: B018
                except Exception as exc:  # pragma: no cover - reported below
                    failures.append(f"{path.relative_to(corpora)}: {type(exc).__name__}: {exc}")
                parsed += 1
    assert not failures, failures[:10]
    assert parsed > 750
