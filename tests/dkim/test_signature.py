"""DKIM-Signature tag parsing (RFC 6376 section 3.5)."""

from __future__ import annotations

import pytest

from mailwarden.dkim.signature import (
    decode_b64,
    parse_dkim_signature,
    parse_header_list,
    strip_b_value,
    summarize,
)
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.model import Header

BASE = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA"


def field(value: str) -> Header:
    return Header("DKIM-Signature", b"DKIM-Signature: " + value.encode() + b"\r\n")


def parse(value: str):
    return parse_dkim_signature(field(value))


def test_all_tags_folded_and_with_whitespace_in_base64():
    sig = parse(
        "v=1; a=rsa-sha256; c=relaxed/simple; d=Example.COM;\r\n s=sel; t=1000; x=2000;\r\n"
        "\th = From : To :\r\n subject ; i=user@mail.example.com; l=42; q=dns/txt;\r\n"
        " bh=AA AA\r\n AA==; b=AAAA\r\n\t AAAA; z=From:x|To:y; future=1"
    )
    assert sig.algorithm == "rsa-sha256" and (sig.key_type, sig.hash_name) == ("rsa", "sha256")
    assert (sig.header_canon, sig.body_canon) == ("relaxed", "simple")
    assert sig.domain == "example.com" and sig.selector == "sel"
    assert sig.signed_headers == ("from", "to", "subject")
    assert sig.identity == "user@mail.example.com"
    assert sig.length == 42 and sig.timestamp == 1000 and sig.expiration == 2000
    assert sig.body_hash == b"\0" * 4 and sig.signature == b"\0" * 6
    assert sig.b_text == "AAAAAAAA"


def test_defaults():
    sig = parse(BASE)
    assert sig.canonicalization == "simple/simple"
    assert sig.identity == "@example.com" and sig.length is None and sig.timestamp is None
    assert parse(BASE + "; c=relaxed").canonicalization == "relaxed/simple"


def test_repeated_and_absent_header_names_are_kept():
    sig = parse(BASE.replace("h=from:to", "h=from:from:received:received:x-absent"))
    assert sig.signed_headers == ("from", "from", "received", "received", "x-absent")


def test_empty_element_in_h_is_skipped():
    assert parse_header_list("from::to") == ("from", "to")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("v=1; ", ""), "v= is missing"),
        (("v=1", "v=2"), "unsupported version"),
        (("a=rsa-sha256", "a=RSA-SHA256"), "unknown algorithm"),
        (("a=rsa-sha256", "a=rsa-sha512"), "unknown algorithm"),
        (("; b=AAAA", ""), "b= is missing"),
        (("b=AAAA", "b="), "b= is empty"),
        (("bh=AAAA", "bh=A!A="), "not valid base64"),
        (("bh=AAAA", "bh=AAA"), "not valid base64"),
        (("d=example.com", "d=exa mple.com"), "not a valid domain"),
        (("d=example.com", "d=legit.com(.evil.com"), "not a valid domain"),
        (("h=from:to", "h=to:subject"), "does not include From"),
        (("h=from:to", "h="), "h= is empty"),
        (("s=sel", "s="), "s= is empty"),
    ],
)
def test_errors(change, message):
    with pytest.raises(RecordSyntaxError, match=message):
        parse(BASE.replace(*change))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("; i=user@evil.com", "not within d="),
        ("; i=user@notexample.com", "not within d="),
        ("; i=nobody", "has no '@'"),
        ("; l=-1", "not a number"),
        ("; l=", "not a number"),
        ("; t=12x", "not a time stamp"),
        ("; t=", "t= is empty"),
        ("; t=2000; x=1000", "earlier than t="),
        ("; q=http", "query method"),
        ("; d=other.com", "duplicate tag"),
        ("; =x", "invalid tag name"),
        ("; junk", "without '='"),
    ],
)
def test_more_errors(extra, message):
    with pytest.raises(RecordSyntaxError, match=message):
        parse(BASE + extra)


def test_identity_may_be_a_subdomain_or_empty_local_part():
    assert parse(BASE + "; i=@sub.example.com").identity == "@sub.example.com"
    assert parse(BASE + "; i=a@EXAMPLE.com").identity == "a@example.com"


def test_garbage_base64_is_bounded():
    with pytest.raises(RecordSyntaxError, match="more than"):
        decode_b64("A" * 100_000, "b")
    with pytest.raises(RecordSyntaxError, match="not valid base64"):
        decode_b64("\x00\xff" * 1000, "b")


def test_strip_b_value_leaves_bh_and_folding():
    raw = b"DKIM-Signature: v=1; bh=XYZ=;\r\n b=abc\r\n def; d=x\r\n"
    assert strip_b_value(raw) == b"DKIM-Signature: v=1; bh=XYZ=;\r\n b=; d=x\r\n"
    assert strip_b_value(b"DKIM-Signature: b=abc\r\n") == b"DKIM-Signature: b="


def test_summary_of_unparseable_signature():
    s = summarize(field("d=example.com; s=sel; a=rsa-sha256; b=AB CD; l=5; ;;;"))
    assert (s.domain, s.selector, s.algorithm, s.b_text, s.has_length) == (
        "example.com", "sel", "rsa-sha256", "ABCD", True)
