"""Kinds of notification, DSN fields, returned original and the backscatter verdict."""

from __future__ import annotations

import json

import pytest
from tests.conftest import require_path

from mailwarden.bounces import analyze_bounce, backscatter_verdict
from mailwarden.bounces.batv import sign
from mailwarden.bounces.dsn import parse_delivery_status
from mailwarden.bounces.reasons import classify
from mailwarden.bounces.status import find_status
from mailwarden.message import parse_message

ORIGINAL = (b"Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.net; "
            b"Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=x; b=y\r\n"
            b"From: Owner <owner@example.com>\r\nTo: nobody@example.net\r\nSubject: Hello\r\n"
            b"Message-ID: <abc@example.com>\r\n\r\nHi\r\n")
FORGED = (b"Received: from dsl-1.isp.example ([198.51.100.7]) by mx.example.net; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
          b"From: owner@example.com\r\nTo: victim@example.net\r\nSubject: cheap pills\r\n"
          b"Message-ID: <zzz@dsl-1.isp.example>\r\n\r\nBuy\r\n")


def dsn(blocks: str, original: bytes = ORIGINAL, global_: bool = False, to: str = "owner@example.com") -> bytes:
    ds_type = "message/global-delivery-status" if global_ else "message/delivery-status"
    return (f"From: MAILER-DAEMON@mx.example.net\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            f"--b\r\nContent-Type: {ds_type}\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n{blocks}\r\n"
            "--b\r\nContent-Type: message/rfc822\r\n\r\n").encode() + original + b"\r\n--b--\r\n"


def analyze(data: bytes):
    return analyze_bounce(parse_message(data))


def test_rfc3464_dsn_fields():
    report = analyze(dsn("Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                         "Remote-MTA: dns; mx.example.net\r\n"
                         "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected"))
    assert report.kind == "dsn" and report.is_bounce
    (rec,) = report.recipients
    assert (rec.address, rec.action, rec.status) == ("nobody@example.net", "failed", "5.1.1")
    assert rec.diagnostic.startswith("550 5.1.1") and rec.remote_mta == "mx.example.net"
    assert report.reason == "userunknown"
    orig = report.original
    assert orig.from_ == "owner@example.com" and orig.subject == "Hello" and orig.message_id == "<abc@example.com>"
    assert orig.headers_found and orig.body_returned and orig.message.received
    assert orig.dkim_signatures and "d=example.com" in orig.dkim_signatures[0]


def test_delay_and_success_dsns():
    delayed = analyze(dsn("Final-Recipient: rfc822; a@example.net\r\nAction: delayed\r\nStatus: 4.4.1\r\n"))
    assert delayed.kind == "dsn" and delayed.recipients[0].action == "delayed" and delayed.reason == "expired"
    success = analyze(dsn("Final-Recipient: rfc822; a@example.net\r\nAction: delivered\r\nStatus: 2.0.0\r\n"))
    assert success.kind == "delivery-success" and not success.is_bounce


def test_rfc6533_global_dsn_utf8_address():
    report = analyze(dsn("Original-Recipient: utf-8; j\\x{00F6}rg@b\\x{00FC}cher.example\r\n"
                         "Final-Recipient: utf-8; j\\x{00F6}rg@b\\x{00FC}cher.example\r\nAction: failed\r\n"
                         "Status: 5.2.2\r\n", global_=True))
    assert report.kind == "dsn" and report.recipients[0].address == "jörg@bücher.example"
    assert report.reason == "mailboxfull"


def test_glued_recipient_blocks_and_missing_action():
    ds = parse_delivery_status("Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@x.example\nStatus: 5.2.2\n"
                               "Final-Recipient: rfc822; b@x.example\nStatus: 5.1.1\n")
    assert [r.address for r in ds.recipients] == ["a@x.example", "b@x.example"]
    report = analyze(dsn("Final-Recipient: rfc822; a@example.net\r\nStatus: 5.1.1\r\n"))
    assert report.recipients[0].action == "failed"


def test_status_and_reason_helpers():
    assert find_status("550-'5.7.1 <x@y>... Access denied' 5.1.0") == "5.7.1"
    assert find_status("host 192.168.1.1 said 550 5.1.1 unknown") == "5.1.1"
    assert find_status("version 1.2.3.4 only") is None
    assert classify("5.2.2", "552 mailbox full") == "mailboxfull"
    assert classify("5.7.1", "554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org") == "blocked"
    assert classify(None, "connection timed out; giving up", "delayed") == "expired"
    assert classify("5.0.0", "Sender address rejected: Domain not found") == "rejected"


QMAIL = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: owner@example.com\r\nSubject: failure notice\r\n\r\n"
         b"Hi. This is the qmail-send program at mx.example.net.\r\n"
         b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
         b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
         b"<gone@example.net>:\r\n192.0.2.9 does not like recipient.\r\n"
         b"Remote host said: 550 5.1.1 <gone@example.net>... User unknown\r\n\r\n"
         b"--- Below this line is a copy of the message.\r\n\r\n") + FORGED


def test_non_standard_qmail_with_inline_original():
    report = analyze(QMAIL)
    assert report.kind == "non-standard" and report.mta == "qmail"
    assert [(r.address, r.action, r.status) for r in report.recipients] == [("gone@example.net", "failed", "5.1.1")]
    assert report.reason == "userunknown"
    assert report.original.source == "inline-text" and report.original.subject == "cheap pills"


def test_autoreply_and_arf():
    vacation = analyze(b"From: Bob <bob@example.net>\r\nTo: owner@example.com\r\nSubject: Out of Office: Hello\r\n"
                       b"Auto-Submitted: auto-replied\r\n\r\nI am out of the office until Monday.\r\n")
    assert vacation.kind == "autoreply" and not vacation.is_bounce and vacation.autoreply_evidence
    arf = analyze(b"From: fbl@isp.example\r\nTo: abuse@example.com\r\nSubject: FW: report\r\nMIME-Version: 1.0\r\n"
                  b"Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\r\n\r\n"
                  b"--f\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
                  b"--f\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: X/1\r\n"
                  b"Version: 1\r\nOriginal-Mail-From: <owner@example.com>\r\nSource-IP: 192.0.2.1\r\n"
                  b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + ORIGINAL + b"\r\n--f--\r\n")
    assert arf.kind == "feedback-report" and arf.feedback.feedback_type == "abuse"
    assert arf.feedback.source_ip == "192.0.2.1" and arf.original.from_ == "owner@example.com"


NOT_BOUNCES = [
    "examples/diagnose/authentic-webmail-compromised/message.eml",
    "examples/diagnose/unrelated-newsletter-esp/message.eml",
    "examples/diagnose/spoofed-botnet-envelope-random/message.eml",
    "examples/diagnose/lookalike-one-letter-domain/message.eml",
    "examples/diagnose/forwarded-alumni-alias-srs-arc/message.eml",
    "corpora/dkim-vectors/dkimpy-1.1.8/test.message",
    "corpora/dkim-vectors/mailauth-rfc8463/signed.eml",
    "corpora/dmarc-reports/parsedmarc/samples/aggregate/twilight.eml",
    "corpora/dmarc-reports/parsedmarc/samples/smtp_tls/google.com_smtp_tls_report.eml",
    "corpora/bounces/sisimai-set-of-emails/maildir/not/is-not-bounce-01.eml",
    "corpora/bounces/sisimai-set-of-emails/maildir/not/is-not-bounce-02.eml",
]


@pytest.mark.parametrize("relpath", NOT_BOUNCES)
def test_ordinary_mail_and_notifications_are_not_bounces(shared, relpath):
    path = shared / relpath
    require_path(path, "shared example or corpus file")
    report = analyze(path.read_bytes())
    assert report.kind == "none" and not report.is_bounce, relpath


def test_dmarc_failure_reports_are_feedback_not_bounces(shared):
    folder = shared / "corpora/dmarc-reports/parsedmarc/samples/failure"
    for path in sorted(folder.glob("*.eml")):
        report = analyze(path.read_bytes())
        assert report.kind == "feedback-report" and not report.is_bounce, path.name


def test_backscatter_verdicts():
    owner = (["owner@example.com"], ["example.com"])
    genuine = analyze(dsn("Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
    # quoted hops through the owner's servers are the original sender's text: not proof (issue 14, class 5)
    claimed = backscatter_verdict(genuine, *owner)
    assert claimed.verdict == "unknown" and any("can write" in e for e in claimed.evidence)
    forged = analyze(dsn("Final-Recipient: rfc822; victim@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                         original=FORGED))
    result = backscatter_verdict(forged, *owner)
    assert result.verdict == "backscatter" and any("forged" in e for e in result.evidence)
    other = analyze(dsn("Final-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                        original=FORGED.replace(b"From: owner@example.com", b"From: list@lists.example.org")))
    assert backscatter_verdict(other, *owner).verdict == "unknown"
    none = analyze(b"From: a@example.net\r\nSubject: hi\r\n\r\nhello\r\n")
    assert backscatter_verdict(none, *owner).verdict == "unknown"


def test_batv_decides_backscatter():
    key, now = b"k", 1_700_000_000.0
    signed = sign("owner@example.com", key, now).address
    data = dsn("Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n", to=signed)
    message = parse_message(data)
    report = analyze_bounce(message)
    ok = backscatter_verdict(report, ["owner@example.com"], [], batv_key=key, now=now + 86400, notification=message)
    assert ok.verdict == "genuine"
    plain = parse_message(dsn("Final-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
    bad = backscatter_verdict(analyze_bounce(plain), ["owner@example.com"], [], batv_key=key, now=now,
                              notification=plain)
    assert bad.verdict == "backscatter" and "unsigned" in bad.evidence[0]


def test_cli_bounce_json(cli, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(dsn("Final-Recipient: rfc822; v@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                         original=FORGED))
    proc = cli("bounce", str(path), "--json", "--domain", "example.com")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["is_bounce"] is True and out["kind"] == "dsn" and out["verdict"] == "backscatter"
    assert out["recipients"] == [{"address": "v@example.net", "action": "failed", "status": "5.1.1",
                                  "diagnostic": None, "reason": "userunknown", "remote_mta": None}]
    assert set(out["original"]) >= {"from", "to", "subject", "message_id", "headers_found"}
    proc = cli("bounce", str(path), "--json")
    assert json.loads(proc.stdout)["verdict"] is None
    human = cli("bounce", str(path), "--me", "owner@example.com")
    assert human.stdout.startswith(b"BACKSCATTER")  # the verdict first (issue 15 point 8)
    assert b"the mailbox does not exist (userunknown)" in human.stdout
