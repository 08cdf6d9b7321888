"""Hostile input: huge recipient lists, deep nesting, big attachments (SPEC section 10)."""

from __future__ import annotations

import base64
import time
import tracemalloc

import pytest

from mailwarden.bounces import analyze_bounce
from mailwarden.bounces.dsn import MAX_RECIPIENTS
from mailwarden.bounces.mime import MAX_DEPTH, split_multipart
from mailwarden.message import parse_message

HEAD = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: owner@example.com\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n")


def _dsn(recipient_blocks: bytes, original: bytes = b"") -> bytes:
    return (HEAD + b"--BB\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            b"--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
            + recipient_blocks + b"--BB\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n--BB--\r\n")


@pytest.mark.slow
def test_dsn_with_100000_recipients_is_capped():
    blocks = b"".join(b"Final-Recipient: rfc822; user%d@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" % i
                      for i in range(100_000))
    data = _dsn(blocks, b"From: owner@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
    start = time.monotonic()
    report = analyze_bounce(parse_message(data))
    assert time.monotonic() - start < 10
    assert report.kind == "dsn" and report.is_bounce
    assert len(report.recipients) == MAX_RECIPIENTS
    assert report.recipients_truncated and report.recipients_total > len(report.recipients)
    assert report.recipients[0].address == "user0@example.org"
    assert report.reason == "userunknown"


@pytest.mark.slow
def test_100_levels_of_nested_rfc822():
    inner = b"From: owner@example.com\r\nSubject: innermost\r\n\r\nhello\r\n"
    for level in range(100):
        inner = (b"From: x%d@example.net\r\nContent-Type: message/rfc822\r\n\r\n" % level) + inner
    data = _dsn(b"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n", inner)
    start = time.monotonic()
    report = analyze_bounce(parse_message(data))
    assert time.monotonic() - start < 10
    assert report.kind == "dsn" and report.reason == "mailboxfull"
    assert report.original is not None and report.original.from_ == "x99@example.net"
    assert any("depth" in note for note in report.notes)
    assert MAX_DEPTH < 100


@pytest.mark.slow
def test_50_megabyte_attachment_is_not_decoded():
    payload = base64.encodebytes(b"\x00" * (37 * 1024 * 1024)).replace(b"\n", b"\r\n")  # ~50 MB encoded
    original = (b"From: owner@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
                b"--in\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + payload + b"--in--\r\n")
    data = _dsn(b"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.3.4\r\n\r\n", original)
    assert len(data) > 48 * 1024 * 1024
    tracemalloc.start()
    start = time.monotonic()
    report = analyze_bounce(parse_message(data))
    elapsed = time.monotonic() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del data
    assert elapsed < 20
    assert peak < 8 * len(payload), peak
    assert report.kind == "dsn" and report.reason == "mesgtoobig"
    assert report.original is not None and report.original.subject == "big"


def test_many_parts_are_capped():
    body = b"".join(b"--BB\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(5000)) + b"--BB--\r\n"
    data = HEAD.replace(b"report; report-type=delivery-status;", b"mixed;") + body
    report = analyze_bounce(parse_message(data))
    assert any("truncated" in note for note in report.notes)


def test_boundary_scan_is_linear():
    body = b"--B" * 200_000
    start = time.monotonic()
    split_multipart(body, "B")
    assert time.monotonic() - start < 2


def test_non_standard_bounce_with_huge_text_is_bounded():
    lines = b"".join(b"<user%d@example.org>: 550 5.1.1 no such user\r\n" % i for i in range(50_000))
    data = (b"From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\n"
            b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n" + lines)
    start = time.monotonic()
    report = analyze_bounce(parse_message(data))
    assert time.monotonic() - start < 10
    assert report.kind == "non-standard" and 0 < len(report.recipients) <= 1000
    assert report.recipients[0].status == "5.1.1"


@pytest.mark.parametrize("junk", [
    b"Content-Type: multipart/report; boundary=\r\n\r\n--\r\n--",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"
    b"Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64***\r\n--x--",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe\xfd undeliverable",
])
def test_malformed_mime_gives_a_result(junk):
    report = analyze_bounce(parse_message(b"From: MAILER-DAEMON@x.example\r\n" + junk))
    assert report.kind in ("none", "non-standard", "dsn")


def test_cli_oversized_and_missing(cli, tmp_path):
    proc = cli("bounce", str(tmp_path / "missing.eml"), "--json")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    proc = cli("bounce", str(empty), "--json")
    assert proc.returncode == 2 and b"empty" in proc.stderr


def test_layout_recognisers_are_bounded():
    """Apache James details with 100000 recipient lines, an epilogue of mbox-like lines, a long address run."""
    james = (b"From: a@example.net\r\nSubject: x\r\n\r\nError message below:\r\n550 no such user\r\n\r\n"
             b"Message details:\r\n  Subject: x\r\n  RCPT TO: a@example.org\r\n"
             + b"".join(b"           u%d@example.org\r\n" % i for i in range(100_000)))
    epilogue = HEAD + b"--BB\r\nContent-Type: text/plain\r\n\r\nx\r\n--BB--\r\n" + b"From " + b"a" * 300_000 + b"\r\n"
    dots = b"From: MAILER-DAEMON@x.example\r\nSubject: failure notice\r\n\r\nto <" + b"a." * 50_000 + b"\r\n"
    for data in (james, epilogue, dots):
        # CPU time of this process: the bound is about complexity, not about how busy the shared machine is
        start = time.process_time()
        report = analyze_bounce(parse_message(data))
        assert time.process_time() - start < 5
        assert len(report.recipients) <= 1000
