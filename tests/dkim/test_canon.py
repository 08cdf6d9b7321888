"""Canonicalization (RFC 6376 section 3.4) and the streamed body hash."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.dkim import canon
from mailwarden.dkim.canon import HeaderIndex, hash_body, header_hash_input, relaxed_header
from mailwarden.message import parse_message
from mailwarden.message.model import Header


def reference_body(body: bytes, mode: str) -> bytes:
    """Straight from the RFC text, on the whole body at once."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if mode == "relaxed":
        lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" ") for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return b"" if mode == "relaxed" else b"\r\n"
    return b"\r\n".join(lines) + b"\r\n"


@pytest.mark.parametrize(
    ("body", "simple", "relaxed"),
    [
        (b"", b"\r\n", b""),
        (b"\r\n\r\n", b"\r\n", b""),
        (b"  \r\n\t\r\n", b"  \r\n\t\r\n", b""),
        (b"abc", b"abc\r\n", b"abc\r\n"),
        (b"a  b\t\tc \r\n\r\n\r\n", b"a  b\t\tc \r\n", b"a b c\r\n"),
        (b" x\r\n\r\ny  ", b" x\r\n\r\ny  \r\n", b" x\r\n\r\ny\r\n"),
    ],
)
def test_body_examples(body, simple, relaxed):
    for mode, want in (("simple", simple), ("relaxed", relaxed)):
        got = hash_body(body, mode, "sha256")
        assert got.digest == hashlib.sha256(want).digest(), mode
        assert got.canonical_length == len(want)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b" ", b"\t", b"\r\n", b"xyz", b"  \r\n"]), max_size=60),
       st.integers(min_value=1, max_value=16))
def test_streamed_equals_reference_for_any_chunking(pieces, chunk):
    body = b"".join(pieces)
    old = canon.CHUNK
    canon.CHUNK = chunk  # force many chunk boundaries
    try:
        for mode in ("simple", "relaxed"):
            want = reference_body(body, mode)
            got = hash_body(body, mode, "sha256")
            assert got.digest == hashlib.sha256(want).digest()
            assert got.canonical_length == len(want)
            limited = hash_body(body, mode, "sha256", limit=len(want) // 2)
            assert limited.digest == hashlib.sha256(want[: len(want) // 2]).digest()
            assert limited.canonical_length == len(want)
    finally:
        canon.CHUNK = old


def test_lf_only_input_is_canonicalized_as_crlf():
    crlf = parse_message(b"From: a@b.c\r\n\r\nline one \r\nline two\r\n\r\n")
    lf = parse_message(b"From: a@b.c\n\nline one \nline two\n\n")
    for mode in ("simple", "relaxed"):
        assert hash_body(lf.body, mode, "sha256") == hash_body(crlf.body, mode, "sha256")
    assert relaxed_header(lf.headers[0]) == b"from:a@b.c\r\n"


def test_relaxed_header():
    h = Header("SubJect", b"SubJect \t:  Hello \r\n\tworld  \t\r\n")
    assert relaxed_header(h) == b"subject:Hello world\r\n"
    assert relaxed_header(Header("X", b"X:\r\n")) == b"x:\r\n"


def test_header_selection_bottom_up_and_over_signing():
    msg = parse_message(b"Received: one\r\nFrom: f\r\nReceived: two\r\nTo: t\r\n\r\n")
    chosen = HeaderIndex(msg.headers).select(["received", "received", "received", "from", "x-none"])
    assert [h.raw for h in chosen] == [b"Received: two\r\n", b"Received: one\r\n", b"From: f\r\n"]


def test_header_hash_input_ends_with_the_signature_without_b_and_crlf():
    msg = parse_message(b"From: Me <me@x.y>\r\nDKIM-Signature: v=1; h=from;\r\n b=zzz\r\n\r\n")
    sig = msg.header_fields("DKIM-Signature")[0]
    assert header_hash_input(msg.headers[:1], sig, "relaxed") == b"from:Me <me@x.y>\r\ndkim-signature:v=1; h=from; b="
    assert header_hash_input(msg.headers[:1], sig, "simple") == (
        b"From: Me <me@x.y>\r\nDKIM-Signature: v=1; h=from;\r\n b=")
