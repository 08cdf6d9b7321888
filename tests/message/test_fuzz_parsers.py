"""Property tests (hypothesis) for every parser that reads attacker text (issue 14, SPEC section 10).

Short and bounded in the normal suite (the ``default`` profile of ``tests/conftest.py``); the long
run, to leave going for a while, is::

    python -m pytest -q -p no:cacheprovider tests/message/test_fuzz_parsers.py --hypothesis-profile=long

Each property is one a sender must not be able to break: no exception other than the project's own
clear errors, and - for the Received and From parsers - no reading the attacker can choose.
Any find becomes an ``@example`` here or a plain regression test next to the parser's tests.
"""

from __future__ import annotations

import base64
import contextlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwarden.errors import MailwardenError
from mailwarden.message import parse_message
from mailwarden.message.addresses import parse_from
from mailwarden.message.authres import parse_authentication_results
from mailwarden.message.received import parse_received

#: Pieces attackers combine: every special of RFC 5322/5321, encoded words, NUL, IDNA dots, literals.
PIECES = st.sampled_from([
    "<", ">", "@", ",", ":", ";", '"', "(", ")", "\\", "[", "]", " ", "\t", ".", "=?utf-8?q?x?=", "\x00",
    "victim.example", "attacker.example", "alice", "a", "\u3002", "\uff0e", "[192.0.2.10]", "[203.0.113.9]",
    "by", "from", "helo=", "unknown", "with", "ESMTPSA", "Authenticated sender:", "IPv6:", "192.0.2.10",
])
HOSTILE_TEXT = st.lists(PIECES | st.text(max_size=6), max_size=40).map("".join)


@settings(deadline=None)
@given(HOSTILE_TEXT)
@example('"alice@victim.example"@attacker.example')
@example("<a@attacker.example> alice@victim.example")
@example("@.")  # found by the long run: an address of nothing but "@" and a dot
def test_from_parser_never_raises_and_unambiguous_means_one_domain(text):
    field = parse_from([text])
    if field.ambiguity is None:
        assert len(field.addresses) == 1
        assert field.addresses[0].domain


@settings(deadline=None)
@given(st.lists(HOSTILE_TEXT, min_size=2, max_size=4))
def test_several_from_fields_are_always_ambiguous(values):
    assert parse_from(values).ambiguity is not None


@settings(deadline=None)
@given(HOSTILE_TEXT)
@example("x (mx.victim.example [192.0.2.10]) by mx.victim.example")
@example("[192.0.2.10]")
@example("evil (Authenticated sender: alice@victim.example)")
def test_a_helo_never_chooses_the_client_address(helo):
    """Postfix copies the HELO verbatim before its own TCP-info: whatever the HELO holds, the client
    address is the receiver's (203.0.113.9) or nothing - never one the HELO names."""
    hop = parse_received(f"from {helo} (unknown [203.0.113.9]) by mx.victim.example (Postfix) with ESMTP id 1; "
                         "Mon, 21 Sep 2026 10:00:00 +0000")
    assert hop.ip in ("203.0.113.9", None)
    if hop.ip is None:
        assert hop.ambiguity is not None
    assert hop.auth_user is None


@settings(deadline=None)
@given(HOSTILE_TEXT)
def test_received_parser_never_raises_and_addresses_come_from_tcp_info(text):
    hop = parse_received(text)
    if hop.ip is not None:
        assert hop.tcp_info and hop.ambiguity is None


@settings(deadline=None)
@given(st.binary(max_size=600) | HOSTILE_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b"From: a@b\r\nContent-Type: text/plain; charset=\"utf-8\x00\"\r\n\r\nx")
def test_message_parser_and_its_views(data):
    try:
        message = parse_message(data)
    except MailwardenError:
        return
    _ = (message.from_field, message.received, message.authentication_results, message.subject,
         message.return_path, message.message_id, message.sender)


@settings(deadline=None)
@given(HOSTILE_TEXT)
def test_authentication_results_parser_never_raises(text):
    parse_authentication_results(text)
    parse_authentication_results("mx.victim.example; " + text)


@settings(deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["rsa", "ed25519", "x"]), HOSTILE_TEXT)
@example(bytes.fromhex("300f300506032a03040306000101010101"), "rsa", "")
def test_dkim_key_records_give_a_key_or_a_clear_error(der, key_type, extra):
    from mailwarden.dkim.keys import parse_key_record

    text = f"v=DKIM1; k={key_type}; p={base64.b64encode(der).decode()}; {extra}"
    with contextlib.suppress(MailwardenError):
        parse_key_record(text)


@settings(deadline=None)
@given(HOSTILE_TEXT, HOSTILE_TEXT)
def test_dkim_signature_fields_give_a_signature_or_a_clear_error(tags, value):
    from mailwarden.dkim.signature import parse_dkim_signature
    from mailwarden.message.model import Header

    raw = f"DKIM-Signature: v=1; a=rsa-sha256; d=victim.example; s=s1; h=from; bh=; b=; {tags}={value}\r\n"
    with contextlib.suppress(MailwardenError):
        parse_dkim_signature(Header("DKIM-Signature", raw.encode("utf-8", "surrogatepass")))


@settings(deadline=None)
@given(HOSTILE_TEXT)
def test_spf_and_dmarc_records_give_a_record_or_a_clear_error(text):
    from mailwarden.dmarc import parse_dmarc_record
    from mailwarden.spf.record import parse_record

    for parse, prefix in ((parse_record, "v=spf1 "), (parse_dmarc_record, "v=DMARC1; ")):
        with contextlib.suppress(MailwardenError):
            parse(prefix + text)


@settings(deadline=None, max_examples=60)
@given(HOSTILE_TEXT, st.sampled_from(["utf-8", "utf-8\x00", "base64", "\x00", "x" * 80, "rot13"]), st.binary(max_size=80))
def test_bounce_mime_is_a_report_not_a_crash(text, charset, payload):
    from mailwarden.bounces import analyze_bounce

    dsn = (b"From: MAILER-DAEMON@mx.example.net\r\nSubject: failure\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
           b"--B\r\nContent-Type: text/plain; charset=\"" + charset.encode() + b"\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(payload) + b"\r\n"
           b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
           b"Final-Recipient: rfc822; " + text.encode("utf-8", "surrogatepass")[:200] + b"\r\nAction: failed\r\n"
           b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + text.encode("utf-8", "surrogatepass")[:300] + b"\r\n--B--\r\n")
    analyze_bounce(parse_message(dsn))
