"""End to end: a real Postfix on loopback with ``mailwarden filter`` as its milter (SPEC section 14)."""

from __future__ import annotations

import pytest

from tests.filter import mail

pytestmark = pytest.mark.postfix

TO = "dana@home.test"


def test_self_spoof_under_p_none_is_rejected_550_571(filter_bench):
    msg = mail.plain("ceo@home.test", TO, "self spoof 1")
    code, text = filter_bench.send(msg, mail_from="ceo@home.test", to=TO, source=mail.FORGER_IP)
    assert code == 550, text
    assert text.startswith("5.7.1"), text
    assert "home.test" in text
    assert filter_bench.delivered("self-spoof-1", seconds=1) is None


def test_genuine_signed_message_is_delivered_stamped_and_the_forged_results_removed(filter_bench):
    forged = "Authentication-Results: mx.home.test; dkim=pass header.d=forged-marker.test; dmarc=pass\r\n"
    msg = mail.signed("alice@partner.test", TO, "genuine 1", extra=forged)
    code, text = filter_bench.send(msg, mail_from="alice@partner.test", to=TO, source=mail.PARTNER_IP)
    assert code == 250, text
    data = filter_bench.delivered("genuine-1")
    assert data is not None, filter_bench.logs()
    head = data.split(b"\n\n", 1)[0].decode()
    assert "forged-marker.test" not in head
    ours = [line for line in head.replace("\n\t", " ").replace("\n ", " ").splitlines()
            if line.lower().startswith("authentication-results: mx.home.test")]
    assert len(ours) == 1, head
    assert "dkim=pass" in ours[0] and "header.d=partner.test" in ours[0]
    assert "spf=pass" in ours[0] and "dmarc=pass" in ours[0]


def test_dmarc_p_reject_forgery_is_rejected(filter_bench):
    msg = mail.plain("alice@partner.test", TO, "reject forgery 1")
    code, text = filter_bench.send(msg, mail_from="bounce@evil.example", to=TO, source=mail.FORGER_IP)
    assert code == 550, text
    assert text.startswith("5.7.1") and "partner.test" in text and "reject" in text


def test_list_message_with_arc_from_a_trusted_sealer_is_delivered(filter_bench):
    original = mail.signed("alice@partner.test", "list@list.test", "list arc 1")
    msg = mail.list_forward(original, "list.test", keyname="list")
    code, text = filter_bench.send(msg, mail_from="list-bounces@list.test", to=TO, source=mail.LIST_IP)
    assert code == 250, text
    data = filter_bench.delivered("list-arc-1")
    assert data is not None
    assert b"arc=pass" in data and b"dmarc=fail" in data  # stamped truthfully, delivered by local policy


def test_list_message_with_arc_from_an_untrusted_sealer_is_rejected(filter_bench):
    original = mail.signed("alice@partner.test", "list@other.test", "list arc 2")
    msg = mail.list_forward(original, "other.test", keyname="other")
    code, text = filter_bench.send(msg, mail_from="list-bounces@other.test", to=TO, source=mail.OTHER_IP)
    assert code == 550, text
    assert "partner.test" in text


def test_backscatter_is_rejected(filter_bench):
    forged_original = mail.plain("dana@home.test", "nobody@far.example", "spam in your name")
    msg = mail.dsn(TO, forged_original, "backscatter 1")
    code, text = filter_bench.send(msg, mail_from="", to=TO, source="127.0.0.77")
    assert code == 550, text
    assert text.startswith("5.7.1") and "backscatter" in text


def test_genuine_bounce_to_a_batv_address_is_delivered(filter_bench):
    import time

    from mailwarden.bounces.batv import sign

    tagged = sign(TO, mail.BATV_KEY, time.time()).address
    original = mail.signed("dana@home.test", "nobody@far.example", "really sent", keyname="home")
    msg = mail.dsn(tagged, original, "genuine bounce 1")
    code, text = filter_bench.send(msg, mail_from="", to=tagged, source="127.0.0.77")
    assert code == 250, text
    assert filter_bench.delivered("genuine-bounce-1") is not None


def test_dns_timeout_answers_4xx(filter_bench):
    msg = mail.plain("bob@slow.test", TO, "slow dns 1")
    code, text = filter_bench.send(msg, mail_from="bob@slow.test", to=TO, source="127.0.0.60")
    assert code == 451, text
    assert text.startswith("4.7.1")


def test_p_quarantine_forgery_goes_to_the_hold_queue(filter_bench):
    msg = mail.plain("bob@soft.test", TO, "quarantine 1")
    code, text = filter_bench.send(msg, mail_from="bob@soft.test", to=TO, source=mail.FORGER_IP)
    assert code == 250, text  # accepted, then held: never in the mailbox
    import time

    end = time.monotonic() + 10
    while "!" not in filter_bench.held() and time.monotonic() < end:
        time.sleep(0.1)
    held = filter_bench.held()
    assert "bob@soft.test" in held and "!" in held.split("bob@soft.test")[0].splitlines()[-1], held
    assert filter_bench.delivered("quarantine-1", seconds=1) is None
