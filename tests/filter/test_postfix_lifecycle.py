"""The filter process behind a real Postfix: killed mid-stream, reloaded, stopped, monitored."""

from __future__ import annotations

import smtplib

import pytest

from tests.filter import mail

pytestmark = pytest.mark.postfix

TO = "dana@home.test"


def test_filter_killed_mid_stream_gives_4xx_and_the_retry_delivers(filter_bench):
    msg = mail.signed("alice@partner.test", TO, "killed 1")
    head, body = msg[: len(msg) // 2], msg[len(msg) // 2:]
    with smtplib.SMTP("127.0.0.1", filter_bench.postfix.port, source_address=(mail.PARTNER_IP, 0),
                      timeout=60) as smtp:
        smtp.ehlo("client.test")
        assert smtp.mail("alice@partner.test")[0] == 250
        assert smtp.rcpt(TO)[0] == 250
        assert smtp.docmd("DATA")[0] == 354
        smtp.send(head)
        filter_bench.filter.kill()  # the milter dies while the message is streaming
        smtp.send(body + b".\r\n")
        code, text = smtp.getreply()
    try:
        assert 400 <= code < 500, (code, text, filter_bench.logs())
        assert filter_bench.delivered("killed-1", seconds=1) is None
    finally:
        filter_bench.filter.start()
    # the sender's retry (what any MTA does after a 4xx) is delivered: nothing lost
    code, text = filter_bench.send(msg, mail_from="alice@partner.test", to=TO, source=mail.PARTNER_IP)
    assert code == 250, text
    assert filter_bench.delivered("killed-1") is not None


def test_sighup_reloads_the_trusted_sealers_and_a_bad_file_is_refused(filter_bench):
    original = mail.signed("alice@partner.test", "list@other.test", "reload 1")
    msg = mail.list_forward(original, "other.test", keyname="other")
    code, _ = filter_bench.send(msg, mail_from="list-bounces@other.test", to=TO, source=mail.OTHER_IP)
    assert code == 550
    try:
        filter_bench.filter.reload(("list.test", "other.test"))
        code, text = filter_bench.send(msg, mail_from="list-bounces@other.test", to=TO, source=mail.OTHER_IP)
        assert code == 250, text
        filter_bench.filter.reload(None, text="timeout = 'soon'\n", expect="reload refused")
        # the previous configuration stays in force
        code, text = filter_bench.send(msg, mail_from="list-bounces@other.test", to=TO, source=mail.OTHER_IP)
        assert code == 250, text
    finally:
        filter_bench.filter.reload(("list.test",))
    code, _ = filter_bench.send(msg, mail_from="list-bounces@other.test", to=TO, source=mail.OTHER_IP)
    assert code == 550


def test_counters_in_prometheus_format(filter_bench):
    msg = mail.plain("ceo@home.test", TO, "counted 1")
    assert filter_bench.send(msg, mail_from="ceo@home.test", to=TO, source=mail.FORGER_IP)[0] == 550
    text = filter_bench.metrics()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert int(lines["mailwarden_filter_messages_total"]) >= 1
    assert int(lines['mailwarden_filter_verdicts_total{verdict="self-spoof"}']) >= 1
    assert int(lines['mailwarden_filter_actions_total{action="reject"}']) >= 1
    assert lines['mailwarden_filter_latency_seconds_bucket{le="+Inf"}'] == lines["mailwarden_filter_messages_total"]


def test_sigterm_stops_cleanly(filter_bench):
    try:
        assert filter_bench.filter.stop() == 0
        assert "stopped" in filter_bench.filter.log_text().splitlines()[-1]
        assert "stats messages=" in filter_bench.filter.log_text()
    finally:
        filter_bench.filter.start()
    msg = mail.signed("alice@partner.test", TO, "after restart 1")
    assert filter_bench.send(msg, mail_from="alice@partner.test", to=TO, source=mail.PARTNER_IP)[0] == 250
