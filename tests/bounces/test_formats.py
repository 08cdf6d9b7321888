"""Notification layouts read by their structure: Amazon SES JSON, Apache James, fml;
several delivery-status parts in one report; a multipart whose boundary parameter was lost."""

from __future__ import annotations

import json
import time

import pytest

from mailwarden.bounces import analyze_bounce
from mailwarden.bounces.sesjson import MAX_JSON, parse_ses_notification
from mailwarden.message import parse_message


def analyze(data: bytes):
    return analyze_bounce(parse_message(data))


# ---------------------------------------------------------------- Amazon SES

def _ses_mail(**extra) -> dict:
    mail = {"source": "owner@example.com", "destination": ["gone@example.net"],
            "headers": [{"name": "From", "value": "Owner <owner@example.com>"},
                        {"name": "To", "value": "gone@example.net"},
                        {"name": "Message-ID", "value": "<m1@example.com>"},
                        {"name": "Subject", "value": "Hello"}],
            "commonHeaders": {"from": ["owner@example.com"], "to": ["gone@example.net"], "subject": "Hello"}}
    mail.update(extra)
    return mail


def _sns(ses: dict, fold: bool = False) -> bytes:
    inner = json.dumps(ses)
    if fold:  # a mail system folded the long line inside the JSON string
        inner = inner.replace('"Hello"', '"Hel\r\n lo"', 1)
    envelope = json.dumps({"Type": "Notification", "MessageId": "x", "Message": inner}, indent=2)
    return (b"From: AWS Notifications <no-reply@sns.amazonaws.com>\r\nTo: owner@example.com\r\n"
            b"Subject: AWS Notification Message\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            + envelope.encode() + b"\r\n")


def test_ses_bounce_in_an_sns_envelope():
    ses = {"notificationType": "Bounce",
           "bounce": {"bounceType": "Permanent", "reportingMTA": "dsn; a1.smtp-out.example.com",
                      "bouncedRecipients": [{"emailAddress": "gone@example.net", "action": "failed",
                                             "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
           "mail": _ses_mail()}
    for fold in (False, True):
        report = analyze(_sns(ses, fold))
        assert report.is_bounce and report.kind == "non-standard" and report.mta == "amazonses"
        (rec,) = report.recipients
        assert (rec.address, rec.action, rec.status, rec.diagnostic) == (
            "gone@example.net", "failed", "5.1.1", "550 5.1.1 user unknown")
        assert report.reason == "userunknown" and report.reporting_mta == "a1.smtp-out.example.com"
        original = report.original
        assert original.source == "ses-notification" and original.headers_found and not original.body_returned
        assert (original.from_, original.to, original.message_id) == (
            "owner@example.com", "gone@example.net", "<m1@example.com>")
        assert original.envelope_from == "owner@example.com"


def test_ses_delivery_is_a_success_notification_with_trailing_text():
    ses = {"notificationType": "Delivery", "mail": _ses_mail(),
           "delivery": {"recipients": ["ok@example.net"], "smtpResponse": "250 2.6.0 Message received",
                        "reportingMTA": "a2.smtp-out.example.com"}}
    data = (b"From: x <no-reply@sns.amazonaws.com>\r\nSubject: AWS Notification Message\r\n\r\n"
            + json.dumps(ses).encode() + b"\r\n\r\n--\r\nIf you wish to stop receiving notifications ...\r\n")
    report = analyze(data)
    assert report.kind == "delivery-success" and not report.is_bounce
    assert [(r.address, r.action, r.status) for r in report.recipients] == [("ok@example.net", "delivered", "2.6.0")]


def test_ses_complaint_is_a_feedback_report():
    ses = {"eventType": "Complaint", "mail": _ses_mail(sourceIp="192.0.2.7"),
           "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.net"}],
                         "complaintFeedbackType": "abuse", "userAgent": "ISP FBL"}}
    report = analyze(_sns(ses))
    assert report.kind == "feedback-report" and not report.is_bounce
    feedback = report.feedback
    assert (feedback.feedback_type, feedback.original_rcpt_to, feedback.source_ip, feedback.original_mail_from) == (
        "abuse", ("angry@example.net",), "192.0.2.7", "owner@example.com")


@pytest.mark.parametrize("body", [
    '{"notificationType": "Bounce"',  # truncated
    '{"notificationType": "Something"}',
    '{"Type": "Notification", "Message": "not json"} "notificationType":"Bounce"',
    '["notificationType", "Bounce"]',
])
def test_not_ses_json_is_not_a_ses_notification(body):
    assert parse_ses_notification(body) is None
    report = analyze(b"From: a@example.net\r\nSubject: data\r\n\r\n" + body.encode())
    assert report.kind == "none"


def test_ses_hostile_nesting_and_size_are_bounded():
    deep = '{"notificationType": "Bounce", "bounce": ' + "[" * 200_000 + "]" * 200_000 + "}"
    start = time.monotonic()
    assert parse_ses_notification(deep) is None
    many = {"notificationType": "Bounce", "mail": {},
            "bounce": {"bouncedRecipients": [{"emailAddress": f"u{i}@example.net", "status": "5.1.1"}
                                             for i in range(20_000)]}}
    text = json.dumps(many)
    assert len(text) > MAX_JSON and parse_ses_notification(text) is None  # beyond the decoded size
    fewer = json.dumps({**many, "bounce": {"bouncedRecipients": many["bounce"]["bouncedRecipients"][:5000]}})
    assert len(parse_ses_notification(fewer).recipients) == 1000
    assert time.monotonic() - start < 10


# ---------------------------------------------------------------- Apache James

JAMES = (b"From: post_master@mx.example.net\r\nTo: owner@example.com\r\nSubject: Re:Test message\r\n"
         b"In-Reply-To: <m1@example.com>\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
         b"--outer\r\nContent-Type: multipart/alternative;\r\nboundary=\"inner\"\r\n\r\n"  # boundary lost its fold
         b"--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
         b"Error: Invalid user address\r\n\r\nError message below:\r\n"
         b"550 - Requested action not taken: no such user here\r\n\r\n"
         b"Message details:\r\n  Subject: Test message\r\n  Sent date: Wed Jun 12 02:21:53 GMT 2013\r\n"
         b"  MAIL FROM: owner@example.com\r\n  RCPT TO: gone@example.net\r\n"
         b"           other@example.net\r\n  From: owner@example.com\r\n  Size (in bytes): 39\r\n\r\n"
         b"--inner--\r\n\r\n--outer--\r\n")


def test_apache_james_bounce():
    report = analyze(JAMES)
    assert report.is_bounce and report.kind == "non-standard" and report.mta == "apachejames"
    assert [(r.address, r.action, r.status) for r in report.recipients] == [
        ("gone@example.net", "failed", "5.0.0"), ("other@example.net", "failed", "5.0.0")]
    assert report.recipients[0].diagnostic == "550 - Requested action not taken: no such user here"
    assert report.reason == "userunknown"


def test_james_layout_needs_its_details_block():
    text = JAMES.replace(b"Message details:", b"Some details:")
    assert analyze(text).mta != "apachejames"


# ---------------------------------------------------------------- fml

def _fml(subject: bytes, body: bytes, server: bytes = b"fml [fml 4.0.3 release (20011202/4.0.3)]") -> bytes:
    return (b"From: neko-admin@example.org\r\nTo: poster@example.net\r\nSubject: " + subject + b"\r\n"
            b"X-MLServer: " + server + b"\r\n\r\n" + body)


def test_fml_refusals_are_bounces():
    member = analyze(_fml(b"You poster@example.net are not member (neko ML)",
                          b"You are not a member of this mailing list <neko@example.org>.\r\n\r\n"
                          b"If you know the general guide of this list, send guide to\r\n\r\n\tneko-ctl@example.org\r\n"))
    assert member.is_bounce and member.kind == "non-standard" and member.mta == "fml"
    assert [(r.address, r.reason) for r in member.recipients] == [("neko@example.org", "rejected")]
    assert member.reason == "rejected"
    loop = analyze(_fml(b"Loop Alert: Duplicated Message-ID (neko ML)",
                        b"Duplicated Message-ID in <neko@example.org>.\r\n\r\nOriginal mail as follows:\r\n"))
    assert loop.is_bounce and loop.reason == "systemerror" and loop.recipients[0].address == "neko@example.org"


def test_fml_list_traffic_is_not_a_bounce():
    post = analyze(_fml(b"[neko:00123] Loop detection in our routers", b"Hi all, <someone@example.org> says ...\r\n"))
    assert post.kind == "none"
    article = _fml(b"Security Alert for our servers", b"Patch <admin@example.org> now.\r\n")
    assert analyze(article).mta == "fml"  # the title alone reads as an fml error mail ...
    article = article.replace(b"X-MLServer:", b"X-Mail-Count: 00124\r\nX-MLServer:")
    assert analyze(article).kind == "none"  # ... but a distributed article carries its number
    other = analyze(_fml(b"You are not member (x ML)", b"<neko@example.org>\r\n", server=b"Mailman 2.1"))
    assert other.mta != "fml"


# ---------------------------------------------------------------- several delivery-status parts

def test_several_delivery_status_parts_in_one_report():
    """RFC 3464 section 2 has one delivery-status part, but a gateway that merges reports sends several:
    every recipient of every part is reported."""
    ds = (b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
          b"Final-Recipient: rfc822; %s\r\nAction: delivered\r\nStatus: 2.1.5\r\n")
    data = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: owner@example.com\r\nSubject: Delivery Status Report\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nDelivered.\r\n"
            + ds % b"a@example.net" + ds % b"b@example.net" + b"--b--\r\n")
    report = analyze(data)
    assert report.kind == "delivery-success"
    assert [(r.address, r.status) for r in report.recipients] == [("a@example.net", "2.1.5"), ("b@example.net", "2.1.5")]


def test_a_second_message_in_an_mbox_is_noted_not_merged():
    """Two notifications in one mbox file: the first is analysed, the second is named in a note
    (merging two reports would mix their originals and verdicts)."""
    one = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: owner@example.com\r\nSubject: Delivery Status Report\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
           b"Final-Recipient: rfc822; %s\r\nAction: delivered\r\nStatus: 2.1.5\r\n--b--\r\n")
    data = (b"From MAILER-DAEMON  Thu Apr 29 23:34:45 2015\r\n" + one % b"a@example.net"
            + b"\r\nFrom MAILER-DAEMON  Thu Apr 29 23:34:46 2015\r\n" + one % b"b@example.net")
    report = analyze(data)
    assert [r.address for r in report.recipients] == ["a@example.net"]
    assert any("mbox" in note for note in report.notes)
    assert not any("mbox" in note for note in analyze(one % b"a@example.net").notes)


# ---------------------------------------------------------------- recipients and reasons from the text

def _notice(body: bytes) -> bytes:
    return b"From: MAILER-DAEMON@mx.example.net\r\nTo: owner@example.com\r\nSubject: Mail delivery failed\r\n\r\n" + body


def test_an_address_is_never_cut_at_a_dot_between_labels():
    report = analyze(_notice(b"Unable to deliver message to <kijitora@neko.example.jp> (and other recipients "
                             b"in the same domain).\r\n"))
    assert [r.address for r in report.recipients] == ["kijitora@neko.example.jp"]


def test_a_label_line_introduces_the_reason_paragraph():
    report = analyze(_notice(b"Your message\r\n\r\n  Subject: Test\r\n\r\nwas not delivered to:\r\n\r\n"
                             b"  gone@example.org\r\n\r\nbecause:\r\n\r\n"
                             b"  User some.name (gone@example.org) not listed in Domino Directory\r\n"))
    (rec,) = report.recipients
    assert rec.address == "gone@example.org" and "not listed in Domino Directory" in rec.diagnostic
    assert report.reason == "userunknown"


def test_a_bounce_naming_no_recipient_still_states_its_reason():
    report = analyze(_notice(b"There was an error delivering your mail to <postmaster@gone.example>.\r\n\r\n"
                             b"DNS lookup failure: host gone.example not found\r\n"))
    assert report.is_bounce and not report.recipients and report.reason == "hostunknown"
