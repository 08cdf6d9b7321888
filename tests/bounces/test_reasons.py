"""Reason classification (SPEC section 8): status code, reply text and the failed SMTP command.

The named corpus cases are sisimai set-of-emails messages whose expected reason
(sisimai's) depends on one of the rules below.
"""

from __future__ import annotations

import pytest
from tests.conftest import require_path

from mailwarden.bounces import analyze_bounce
from mailwarden.bounces.reasons import classify
from mailwarden.bounces.smtpcommand import failed_command
from mailwarden.message import parse_message


@pytest.mark.parametrize("text,command", [
    ("550 5.1.1 <a@example.org>: User unknown (in reply to RCPT TO command)", "RCPT"),
    ("host mx.example.org said: 550 User unknown (in reply to\n    RCPT TO command)", "RCPT"),
    ("SMTP error from remote mail server after MAIL FROM:<a@example.net> SIZE=1022: 553 no", "MAIL"),
    ("SMTP error from remote mail server after end of data: 550 rejected", "DATA"),
    ("mx.example.org [192.0.2.25] did not like our RCPT TO: 550 5.6.0 Media error", "RCPT"),
    ("Connected to 192.0.2.112 but my name was rejected.", "HELO"),
    (">>> DATA\n<<< 554 5.7.1 rejected", "DATA"),
    ("In:  DATA Out: 354 End data Out: 451 4.3.0 Error", "DATA"),
    ("the message was rejected at delivery time", None),
    ("550 5.1.1 user unknown", None),
    ("", None),
])
def test_failed_command(text, command):
    assert failed_command(text) == command


@pytest.mark.parametrize("status,diagnostic,context,expected", [
    # the same words mean a missing mailbox at RCPT and a filter after DATA
    ("5.0.0", "550 <a@example.org>: User unknown", "(in reply to RCPT TO command)", "userunknown"),
    ("5.0.0", "550 User unknown", "after end of data:", "filtered"),
    ("5.0.0", "550 : User unknown", None, "filtered"),  # the reply names no recipient
    # refused at MAIL FROM: about the sender
    ("5.1.0", "after MAIL FROM:<s@example.net>: 553 5.1.0 nyaan example.net does not exist", None, "rejected"),
    ("5.7.1", "550 5.7.1 Access denied (in reply to MAIL FROM command)", None, "rejected"),
    # a temporary DNS failure is a network error, not a missing host
    ("4.0.0", "DNS Error: DNS type 'mx' lookup of example.org responded with code NXDOMAIN", None,
     "networkerror"),
    ("4.4.1", "connect to example.org[192.0.2.1]:25: Connection timed out", None, "expired"),
    ("5.7.25", "550 5.7.25 Reverse DNS validation failed", None, "requireptr"),
    ("4.3.2", "452 4.3.2 Connection rate limit exceeded.", None, "toomanyconn"),
    ("5.1.1", "550 5.1.1 <k@example.com> - 203.0.113.222 has sent to too many recipients this hour.", None,
     "speeding"),
    ("5.1.1", "550 5.1.1 Refused due to recipient preferences", None, "filtered"),
    ("5.2.1", "550-5.2.1 The email account that you tried to reach is inactive.", None, "suspend"),
    ("5.0.0", "550 Virus Detected; Content Rejected", None, "virusdetected"),
    ("5.4.6", "554 5.4.6 Too many hops", None, "networkerror"),
    ("4.4.5", "452 4.4.5 Insufficient disk space; try again later", None, "systemfull"),
    ("5.0.0", "500 Remote server does not support TLS (state 6).", None, "failedstarttls"),
])
def test_classify_rules(status, diagnostic, context, expected):
    assert classify(status, diagnostic, "failed", context) == expected


def test_unix_mailer_diagnostic_is_mailererror():
    assert classify("5.1.1", "procmail: Couldn't create \"/var/spool/mail/neko\"", "failed",
                    diagnostic_type="X-Unix") == "mailererror"


@pytest.mark.parametrize("name,reason,statuses", [
    ("lhost-postfix-36.eml", "userunknown", ["5.0.0"]),      # "in reply to RCPT TO" in the text part
    ("rfc3464-57.eml", "filtered", None),                     # "550 : User unknown"
    ("lhost-exim-51.eml", "rejected", None),                  # after MAIL FROM
    ("lhost-qmail-04.eml", "blocked", None),                  # my name was rejected (HELO)
    ("lhost-dragonfly-07.eml", "contenterror", ["5.6.0"]),    # "Recipient address rejected: Media error"
    ("rfc3464-54.eml", "networkerror", None),
    ("lhost-opensmtpd-04.eml", "networkerror", None),         # reason on the address line, first letter kept
    ("lhost-opensmtpd-17.eml", None, ["5.1.1", "5.2.2"]),     # Status 5.0.0, specific codes in the text
    ("lhost-exchange2007-05.eml", "expired", ["4.4.1"]),     # X.4.7 replaced by the attempt's code
    ("lhost-sendmail-54.eml", "expired", ["4.4.7"]),          # DSN fields with no MIME structure
    ("lhost-postfix-75.eml", None, ["4.3.0"]),                # transcript: 2.1.5 replies skipped
])
def test_sisimai_named_cases(corpora, name, reason, statuses):
    path = corpora / "bounces" / "sisimai-set-of-emails" / "maildir" / "bsd" / name
    require_path(path, "sisimai corpus file")
    out = analyze_bounce(parse_message(path.read_bytes())).to_json()
    assert out["is_bounce"] and out["kind"] in ("dsn", "non-standard")
    if reason:
        assert out["reason"] == reason
    if statuses:
        assert sorted(r["status"] for r in out["recipients"]) == sorted(statuses)


@pytest.mark.parametrize("status,diagnostic,context,dtype,expected", [
    # "listed in" a directory is a missing user, not a block list
    (None, None, "User some.name (a@example.org) not listed in Domino Directory", "smtp", "userunknown"),
    # "network" in a refusal is not a network error
    ("5.0.0", "554 Host network not allowed - see https://docs.example.com/554", None, "smtp", "blocked"),
    (None, None, "Your message was not delivered within 0 days and 1 hours. Remote host is not responding.",
     "smtp", "expired"),
    (None, None, "Delivery to the following recipients was aborted after 5.0 hour(s):", "smtp", "expired"),
    (None, None, "Delivery failed 20 attempts: a@example.org", "smtp", "expired"),
    (None, None, "DNS lookup failure: host mx.example.org not found", "smtp", "hostunknown"),
    # a local delivery program's own "temporary failure" (RFC 3464 section 2.3.6 X-Unix)
    ("4.3.0", "temporary failure", None, "x-unix", "mailererror"),
    ("4.3.0", "451 4.3.0 temporary failure", None, "smtp", "systemerror"),
])
def test_plain_reading_reasons(status, diagnostic, context, dtype, expected):
    assert classify(status, diagnostic, "failed", context, diagnostic_type=dtype) == expected
