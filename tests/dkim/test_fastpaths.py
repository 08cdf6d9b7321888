"""The verification fast paths give the same bytes and errors as the straightforward forms.

Each fast path (RFC 6376 sections 3.2, 3.4.2, 3.4.4, 3.5, 3.7; RFC 5322 line ends)
is compared with the plain definition on random and hostile input.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwarden.dkim import canon
from mailwarden.dkim.canon import hash_body, header_hash_input, relaxed_header, relaxed_headers
from mailwarden.dkim.signature import decode_b64, parse_header_list, parse_tags, strip_b_value
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.model import Header, normalize_line_endings
from mailwarden.message.taglist import TagListError, parse_tag_list

_B_TAG = re.compile(rb"((?:^|;)[ \t\r\n]*b[ \t\r\n]*=)[^;]*")


def reference_strip_b(raw: bytes) -> bytes:
    colon = raw.index(b":")
    return raw[: colon + 1] + _B_TAG.sub(rb"\1", raw[colon + 1 :], count=1)


def reference_normalize(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except (RecordSyntaxError, TagListError) as exc:
        return ("error", str(exc))


value_bytes = st.lists(st.sampled_from([b"a", b"B", b" ", b"\t", b"\r\n ", b"\r\n\t", b"\r", b"\n", b"\r\n",
                                        b":", b"  ", b"\xe9", b";"]), max_size=25).map(b"".join)
names = st.sampled_from(["From", "SUBJECT", "x-Test", "To", "DKIM-Signature", "Received", "a b", "\ufffd"])


@st.composite
def header_fields(draw) -> Header:
    name = draw(names)
    gap = draw(st.sampled_from([b"", b" ", b" \t "]))
    ending = draw(st.sampled_from([b"\r\n", b""]))
    return Header(name, name.encode("utf-8") + gap + b":" + draw(value_bytes) + ending)


@settings(max_examples=500, deadline=None)
@given(st.lists(header_fields(), max_size=12))
@example([Header("X", b"X: a\r\r\n\nb\r\n"), Header("To", b"To: t\r\n")])  # removing a CRLF forms a new one
def test_relaxed_headers_equal_one_by_one(fields):
    assert relaxed_headers(fields) == b"".join(relaxed_header(h) for h in fields)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"v=1", b"; ", b";", b"b=", b"b =", b" b=abc", b"xb=1", b"bh=Zz=",
                                 b"\r\n\t", b"b", b"=", b"h=from:b", b"c"]), max_size=20))
def test_strip_b_value_equals_the_regex_form(pieces):
    raw = b"DKIM-Signature:" + b"".join(pieces) + b"\r\n"
    assert strip_b_value(raw) == reference_strip_b(raw)


def test_strip_b_value_is_linear_on_hostile_fields():
    raw = b"DKIM-Signature: x=" + b"b=" * 500_000 + b"\r\n"
    start = time.perf_counter()
    assert strip_b_value(raw) == raw
    raw = b"DKIM-Signature: " + b"xb=1;" * 200_000 + b" b=zz\r\n"
    assert strip_b_value(raw).endswith(b" b=")
    assert time.perf_counter() - start < 2.0


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"a", b" ", b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"\n\r"]), max_size=30))
def test_normalize_line_endings_equals_the_replace_chain(pieces):
    data = b"".join(pieces)
    assert normalize_line_endings(data) == reference_normalize(data)


def test_normalize_keeps_a_canonical_message_without_copy():
    data = b"From: a\r\n\r\nbody\r\n" * 100
    assert normalize_line_endings(data) is data


tag_text = st.lists(st.sampled_from(["v", "=", "1", ";", " ", "\r\n\t", "bh", "b", "a", "x9_", "9", "==",
                                     "\u00e9", ";;", "a=b=c", "\x0b"]), max_size=20).map("".join)


@settings(max_examples=800, deadline=None)
@given(tag_text, st.booleans())
def test_parse_tags_equals_the_general_parser(text, strict):
    fast = outcome(lambda t: parse_tags(t, strict_separators=strict).items, text)
    if strict and any(not p.strip(" \t\r\n") for p in text.split(";")[:-1]):
        assert fast == ("error", "empty tag (extra ';')")
        return
    general = outcome(lambda t: parse_tag_list(t).items, text)
    assert fast == general


b64_text = st.lists(st.sampled_from(["A", "z", "0", "+", "/", "=", "==", "===", " ", "\r\n\t", "-", "\u00e9"]),
                    max_size=16).map("".join)


def reference_b64(value: str) -> bytes:
    text = re.sub(r"[ \t\r\n]+", "", value)
    if not text:
        raise RecordSyntaxError("b= is empty")
    if len(text) % 4 or not re.match(r"[A-Za-z0-9+/]*={0,2}\Z", text):
        raise RecordSyntaxError("b= is not valid base64")
    return base64.b64decode(text, validate=True)


@settings(max_examples=800, deadline=None)
@given(b64_text)
def test_decode_b64_fast_path_accepts_exactly_the_valid_values(value):
    try:
        want = ("ok", reference_b64(value))
    except (RecordSyntaxError, ValueError):
        want = ("error",)
    got = outcome(decode_b64, value, "b")
    assert got[:1] == want[:1] and (got[0] == "error" or got[1] == want[1])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["from", "To", ":", "::", " ", "\r\n\t", "x;y", "\u00e9", "a\x7f"]), max_size=12)
       .map("".join))
def test_header_list_fast_check_equals_per_name_check(value):
    got = outcome(parse_header_list, value)
    cleaned = re.sub(r"[ \t\r\n]+", "", value).lower()
    bad = [n for n in cleaned.split(":") if n and not re.fullmatch(r"[\x21-\x39\x3b-\x7e]+", n)]
    if not cleaned:
        assert got == ("error", "h= is empty")
    elif bad:
        assert got[0] == "error" and "invalid header field name" in got[1]
    else:
        assert got == ("ok", tuple(n for n in cleaned.split(":") if n))


def reference_relaxed_body(body: bytes) -> bytes:
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" ") for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"\r\n".join(lines) + b"\r\n" if lines else b""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"QUJD", b"a b", b" x", b"\r\n", b"\r\n\r\n", b" ", b"y", b"\t"]), max_size=40),
       st.one_of(st.none(), st.integers(min_value=0, max_value=80)))
def test_body_hash_equals_the_reference_with_and_without_the_fast_path(pieces, limit):
    body = b"".join(pieces)
    want = reference_relaxed_body(body)
    got = hash_body(body, "relaxed", "sha256", limit)
    assert got.canonical_length == len(want)
    assert got.digest == hashlib.sha256(want if limit is None else want[:limit]).digest()


@pytest.mark.parametrize(("body", "as_is"), [
    (b"QUJD\r\nREVG\r\n\r\n", True), (b"one two\r\nthree\r\n", True), (b"", True),
    (b"a  b\r\n", False), (b"a \r\n", False), (b"a\tb\r\n", False), (b"end ", False),
])
def test_already_canonical_detects_every_change(monkeypatch, body, as_is):
    assert canon._already_canonical(body, True) is as_is
    if as_is:  # the streamed canonicalizer is not even built
        monkeypatch.setattr(canon, "BodyHasher", None)
        assert hash_body(body, "relaxed", "sha256").digest == hashlib.sha256(reference_relaxed_body(body)).digest()


def test_header_hash_input_relaxed_equals_the_per_field_form():
    fields = [Header("From", b"From :  Me\r\n\t<me@x.y> \r\n"), Header("Subject", b"Subject:\r\n\r\n")]
    sig = Header("DKIM-Signature", b"DKIM-Signature: v=1;\r\n b=abc;  h=From\r\n")
    want = b"".join(relaxed_header(h) for h in fields) + relaxed_header(
        Header(sig.name, reference_strip_b(sig.raw)))[:-2]
    assert header_hash_input(fields, sig, "relaxed") == want
    assert want.endswith(b"dkim-signature:v=1; b=; h=From")


# ------------------------------------------------- header fields in one findall (RFC 5322 section 2.2)

_HEADER_BYTES = st.lists(
    st.sampled_from([b"From", b"X-A", b"dkim-signature", b" ", b"\t", b":", b"x", b"\r", b"\n", b"\r\n", b"\xff", b" :"]),
    max_size=40,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(_HEADER_BYTES)
@example(b"X: y\r\n cont\r\nnot a header\r\n\tstray\r\n")
@example(b" lead\r\nA:b\r\n")
def test_findall_header_parse_equals_streamed_parse(block):
    from mailwarden.message import model

    block = normalize_line_endings(block)
    if not block.endswith(b"\r\n"):
        block += b"\r\n"
    fast = model._parse_fields(block)
    slow = model._parse_fields_streamed(block)
    assert fast == slow
    assert all(type(h) is Header and h == Header(h.name, h.raw) for h in fast[0])
    assert all(h.raw in block and h.raw.endswith(b"\r\n") for h in fast[0])


def test_header_block_with_more_lines_than_fields_limit_uses_the_streamed_path(monkeypatch):
    from mailwarden.message import model

    monkeypatch.setattr(model, "MAX_HEADERS", 50)
    # 40 fields, 200 lines: over the size bound (streamed path) but under the field limit
    data = b"".join(b"X-%d: v\n" % i + b" folded\n" * 4 for i in range(40)) + b"\nbody"
    message = model.parse_message(data)
    assert len(message.headers) == 40 and message.headers[-1].raw.count(b"\r\n") == 5
    monkeypatch.setattr(model, "MAX_HEADERS", 39)
    with pytest.raises(model.MessageError, match="more than 39"):
        model.parse_message(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=300), st.lists(st.sampled_from([" ", "\t", "\r\n ", "\r\n\t", "  "]), max_size=20),
       st.randoms(use_true_random=False))
def test_b_text_equals_strip_fws_of_b(raw, folds, rnd):
    from mailwarden.dkim.signature import parse_dkim_signature
    from mailwarden.message.taglist import strip_fws

    b64 = list(base64.b64encode(raw).decode())
    for fold in folds:
        b64.insert(rnd.randrange(len(b64) + 1), fold)
    b_value = "".join(b64)
    field = (f"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; "
             f"bh={base64.b64encode(b'x' * 32).decode()}; b={b_value}\r\n").encode()
    sig = parse_dkim_signature(Header("DKIM-Signature", field))
    assert sig.b_text == strip_fws(sig.tags.get("b")) == base64.b64encode(raw).decode()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["From", "from", "Received", "RECEIVED", "DKIM-Signature", "X-A", "To"]), max_size=30))
def test_fields_by_name_groups_like_the_plain_definition(names):
    from mailwarden.message.model import Message

    headers = tuple(Header(name, b"%s: %d\r\n" % (name.encode(), i)) for i, name in enumerate(names))
    index = Message(headers, b"").fields_by_name
    expected = {name.lower(): tuple(h for h in headers if h.name.lower() == name.lower()) for name in names}
    assert index == expected
    assert all(type(found) is tuple for found in index.values())


def test_fields_by_name_is_linear_for_many_repeats():
    from mailwarden.message.model import Message

    headers = tuple(Header("Received", b"Received: x\r\n") for _ in range(200_000))
    start = time.perf_counter()
    assert len(Message(headers, b"").fields_by_name["received"]) == 200_000
    assert time.perf_counter() - start < 2
