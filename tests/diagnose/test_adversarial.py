"""Verdicts an attacker cannot steer (issue 14; SPEC section 6 "Adversarial input").

One test per class of attack, each with the shapes that once made ``check`` say
``dmarc=pass`` or ``diagnose`` say ``authentic`` for forged mail.  Everything is
real: Ed25519 DKIM signatures made and verified by the engine, SPF and DMARC
evaluated from a DNS snapshot.  The world is described in ``tests/support/attack.py``.
"""

from __future__ import annotations

import pytest

from tests.support.attack import (
    ATTACKER_IP,
    OWNER,
    VICTIM_IP,
    check,
    diagnose,
    evidence,
    message,
    received,
    return_path,
    sign,
)

FORGED_INBOUND = return_path() + received(f"evil.example (unknown [{ATTACKER_IP}])")


def test_baseline_genuine_mail_is_authentic():
    """The control: the victim's own server, signed - so every 'not authentic' below is the attack's doing."""
    raw = return_path() + received(f"out.victim.example (out.victim.example [{VICTIM_IP}])") + sign(message())
    out = check(raw)
    assert (out.spf.result, out.dmarc.result) == ("pass", "pass")
    assert diagnose(raw).verdict == "authentic"


# --------------------------------------------------------------------------- class 1
CLASS1_SHAPES = {
    # the victim's own server address as an EHLO literal, Postfix records the real client after it
    "helo-literal": received(f"[{VICTIM_IP}] (unknown [{ATTACKER_IP}])"),
    # a multi-word HELO carrying a fake TCP-info group
    "helo-fake-tcp-info": received(f"evil (out.victim.example [{VICTIM_IP}]) (unknown [{ATTACKER_IP}])"),
    # a HELO that imitates a whole receiver clause (" by ")
    "helo-with-by": received(f"x (out.victim.example [{VICTIM_IP}]) by mx.victim.example "
                             f"(unknown [{ATTACKER_IP}])"),
    # a receiver that wrote no TCP-info: only the client's literal is there
    "literal-without-tcp-info": f"Received: from [{VICTIM_IP}] by mx.victim.example with ESMTP; "
                                "Mon, 21 Sep 2026 10:00:00 +0000\n".encode(),
    # a HELO that claims an authenticated submission
    "helo-claims-auth": received(f"x (Authenticated sender: {OWNER}) (unknown [{ATTACKER_IP}])"),
}


@pytest.mark.parametrize("shape", sorted(CLASS1_SHAPES))
def test_class1_helo_text_is_never_the_client(shape):
    raw = return_path() + CLASS1_SHAPES[shape] + message()
    out = check(raw)
    assert out.envelope.ip in (ATTACKER_IP, None)
    assert out.dmarc.result != "pass"
    assert "dmarc=pass" not in out.authentication_results
    result = diagnose(raw)
    assert result.verdict in ("spoofed", "inconclusive")
    assert result.sending_path is None


def test_class1_a_lower_hop_naming_the_provider_is_the_senders():
    """The provider's hop is found by its authserv-id *and* position: a `by mx.victim.example` written
    below a hop handed over by an outsider is the sender's text."""
    raw = (received(f"evil.example (unknown [{ATTACKER_IP}])", by="in1.mailcluster.example")
           + received(f"out.victim.example (out.victim.example [{VICTIM_IP}])")
           + b"Authentication-Results: mx.victim.example; spf=pass smtp.mailfrom=alice@victim.example;\n"
             b" dkim=pass header.d=victim.example; dmarc=pass header.from=victim.example\n"
           + message())
    result = diagnose(raw)
    assert result.boundary.ip == ATTACKER_IP
    assert result.verdict == "spoofed"
    assert any("forged" in e or "untrusted" in e for e in evidence(result, "authentication-results")) or \
        not any(e.startswith("trusted") for e in evidence(result, "authentication-results"))


def test_class1_trusted_relay_cannot_be_claimed_by_a_helo_literal():
    raw = received(f"[{VICTIM_IP}] (unknown [{ATTACKER_IP}])") + message()
    result = diagnose(raw, trusted_relays=["192.0.2.0/24"], trusted_authserv_ids=[])
    assert result.boundary.ip == ATTACKER_IP
    assert result.verdict == "spoofed"


def test_class1_trusted_authentication_results_outrank_everything_below():
    raw = (b"Authentication-Results: mx.victim.example; spf=fail smtp.mailfrom=alice@victim.example;\n"
           b" dkim=none; dmarc=fail header.from=victim.example\n"
           + FORGED_INBOUND
           + b"Authentication-Results: mx.victim.example; spf=pass smtp.mailfrom=alice@victim.example;\n"
             b" dkim=pass header.d=victim.example; dmarc=pass header.from=victim.example\n"
           + received(f"out.victim.example (out.victim.example [{VICTIM_IP}])", by="relay.victim.example",
                      protocol="ESMTPSA")
           + message())
    result = diagnose(raw)
    assert result.verdict == "spoofed" and result.confidence == "high"
    assert any(e.startswith("forged") for e in evidence(result, "authentication-results"))


# --------------------------------------------------------------------------- class 2
CLASS2_FROMS = {
    "two-from-fields": None,  # built below: a second From field
    "two-angle-addrs": "<bad@attacker.example> <alice@victim.example>",
    "angle-then-addr-spec": "<bad@attacker.example> alice@victim.example",
    "addr-spec-as-display-name": "alice@victim.example <bad@attacker.example>",
    "encoded-word-in-address": "<=?utf-8?q?alice=40victim=2Eexample?=@attacker.example>",
    "nul-in-address": "alice@victim.example\x00@attacker.example",
    "quoted-local-part-with-at": '"alice@victim.example"@attacker.example',
    "mailbox-without-at-dropped": "alice, alice@victim.example",
    "ideographic-dot": "alice@victim\u3002example",
    "fullwidth-dot": "alice@victim\uff0eexample",
    "victim-last-of-many": ", ".join(f"u{i}@d{i}.attacker.example" for i in range(25)) + ", alice@victim.example",
    "two-mailboxes": "bad@attacker.example, alice@victim.example",
}


@pytest.mark.parametrize("shape", sorted(CLASS2_FROMS))
def test_class2_ambiguous_from_never_passes(shape):
    from_ = CLASS2_FROMS[shape]
    inbound = return_path("bad@attacker.example") + received(
        f"mail.attacker.example (mail.attacker.example [{ATTACKER_IP}])")
    if from_ is None:
        raw = inbound + b"From: bad@attacker.example\n" + message()
    else:
        raw = inbound + message(from_=from_)
    raw = sign(raw, "attacker.example")  # the attacker's own domain passes SPF and DKIM
    out = check(raw)
    assert out.dmarc.result != "pass", out.dmarc.reason
    assert "dmarc=pass" not in out.authentication_results
    result = diagnose(raw)
    assert result.verdict != "authentic"
    assert any("ambiguous sender" in e for e in evidence(result, "from")), result.evidence


def test_class2_readings_that_show_the_owner_count_as_claims():
    raw = sign(return_path("bad@attacker.example") + received(f"mail.attacker.example (mail.attacker.example [{ATTACKER_IP}])")
               + message(from_='"alice@victim.example"@attacker.example'), "attacker.example")
    result = diagnose(raw)
    assert result.verdict == "spoofed"
    out = check(raw)
    assert out.dmarc.result == "fail" and out.dmarc.policy == "reject"  # the victim's policy applies


def test_class2_idn_forms_are_one_domain():
    from mailwarden.message.addresses import parse_from

    field = parse_from(["<a@b\u00fccher.example>"])
    assert field.ambiguity is None and field.domains == ("b\u00fccher.example",)
    assert parse_from(["a@xn--bcher-kva.example"]).domains == ("b\u00fccher.example",)


# --------------------------------------------------------------------------- class 3
def _prepend(raw: bytes, field: bytes) -> bytes:
    return field + raw


def test_class3_prepended_unsigned_from_is_not_vouched_for():
    genuine = sign(message(from_="Newsletter <news@victim.example>"), headers=["from", "to", "subject", "date"])
    raw = received(f"evil.example (unknown [{ATTACKER_IP}])") + _prepend(genuine, b"From: Alice <alice@victim.example>\n")
    out = check(raw)
    sig = out.dkim[0]
    assert sig.result == "pass" and sig.unsigned_fields == ("from",)  # it verifies, per RFC 6376
    assert out.dmarc.result != "pass"
    assert "does not cover the displayed From" in out.authentication_results or "ambiguous" in out.dmarc.reason
    assert diagnose(raw).verdict != "authentic"


def test_class3_one_from_many_signed_copies_not_oversigned():
    """The single-From replay: the signature covers From but not a prepended Subject."""
    genuine = sign(message(subject="Lunch?"), headers=["from", "to", "subject", "date"])
    raw = received(f"evil.example (unknown [{ATTACKER_IP}])") + b"Subject: Urgent: wire transfer\n" + genuine
    out = check(raw)
    assert out.dkim[0].result == "pass" and out.dkim[0].unsigned_fields == ("subject",)
    assert "subject fields" in out.authentication_results
    result = diagnose(raw)
    assert result.verdict == "spoofed" and result.verdict != "authentic"
    assert any("extra Subject" in e for e in evidence(result, "dkim-replay"))


@pytest.mark.parametrize("appended", [b"\nP.S. New bank account: 1234\n", b"x" * 2000 + b"\n"])
def test_class3_bytes_after_l_are_not_vouched_for(appended):
    genuine = sign(message(), body_length=True)
    raw = received(f"evil.example (unknown [{ATTACKER_IP}])") + genuine + appended
    out = check(raw)
    assert out.dkim[0].result == "pass" and out.dkim[0].unsigned_bytes_after_l > 0
    assert "unsigned" in out.authentication_results
    result = diagnose(raw)
    assert result.verdict == "spoofed"
    assert any("after l=" in e for e in evidence(result, "dkim-replay"))


def test_class3_l_zero_with_a_new_body():
    head, _, _ = message().partition(b"\n\n")
    genuine = sign(head + b"\n\n", body_length=True)  # l=0: an empty body was signed
    assert b"l=0" in genuine
    raw = received(f"evil.example (unknown [{ATTACKER_IP}])") + genuine + b"Send me the codes.\n"
    assert diagnose(raw).verdict != "authentic"


# --------------------------------------------------------------------------- class 4
def test_class4_strict_alignment_is_honoured():
    """adkim=s: a signature of a sibling subdomain does not align; diagnose must agree with DMARC."""
    dns = {"_dmarc.victim.example": {"TXT": ["v=DMARC1; p=reject; adkim=s; aspf=s"]}}
    from tests.support.attack import victim_key, zone

    world = zone(**dns, **{"s1._domainkey.news.victim.example": {"TXT": [victim_key().txt_record]},
                           "news.victim.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]}})
    raw = (b"Return-Path: <bounce@news.victim.example>\n" + FORGED_INBOUND
           + sign(message(), "victim.example"))
    assert diagnose(raw, world).verdict == "authentic"  # control: same domain aligns under adkim=s
    sub = b"Return-Path: <bounce@news.victim.example>\n" + FORGED_INBOUND + _sign_as_subdomain(message())
    out = check(sub, world)
    assert out.dmarc.result == "fail" and out.dmarc.alignment.spf is False and out.dmarc.alignment.dkim is False
    result = diagnose(sub, world)
    assert result.verdict == "spoofed"
    assert any("aligned DKIM pass: no" in e for e in evidence(result, "dmarc"))


def _sign_as_subdomain(raw: bytes) -> bytes:
    from mailwarden.dkim.sign import sign_message
    from mailwarden.message import parse_message
    from tests.support.attack import NOW, victim_key

    field = sign_message(parse_message(raw), "news.victim.example", "s1", victim_key().private_pem,
                         algorithm="ed25519-sha256", now=NOW - 3600)
    return field.replace(b"\r\n", b"\n") + raw


def test_class4_psd_record_decides_the_organizational_domain():
    """A public-suffix operator (psd=y at victim.example): customer.victim.example and
    other.victim.example are different organizations, so relaxed alignment between them fails."""
    from tests.support.attack import zone

    world = zone(**{"_dmarc.victim.example": {"TXT": ["v=DMARC1; p=reject; psd=y"]},
                    "_dmarc.customer.victim.example": {"TXT": ["v=DMARC1; p=reject"]},
                    "s1._domainkey.other.victim.example": {"TXT": [_victim_txt()]}})
    raw = FORGED_INBOUND + _sign_as(message(from_="Boss <boss@customer.victim.example>"), "other.victim.example")
    out = check(raw, world)
    assert out.dmarc.result == "fail"
    result = diagnose(raw, world, me=["boss@customer.victim.example"])
    assert result.verdict == "spoofed"


def _victim_txt() -> str:
    from tests.support.attack import victim_key

    return victim_key().txt_record


def _sign_as(raw: bytes, domain: str) -> bytes:
    from mailwarden.dkim.sign import sign_message
    from mailwarden.message import parse_message
    from tests.support.attack import NOW, victim_key

    field = sign_message(parse_message(raw), domain, "s1", victim_key().private_pem, algorithm="ed25519-sha256",
                         now=NOW - 3600)
    return field.replace(b"\r\n", b"\n") + raw


def test_class4_verdict_never_contradicts_the_dmarc_result_it_quotes():
    from tests.support.attack import zone

    world = zone(**{"_dmarc.victim.example": {"TXT": ["v=DMARC1; p=reject; adkim=s"]},
                    "s1._domainkey.news.victim.example": {"TXT": [_victim_txt()]}})
    raw = FORGED_INBOUND + _sign_as(message(), "news.victim.example")
    result = diagnose(raw, world)
    assert result.auth.dmarc.result == "fail"
    assert result.verdict not in ("authentic", "forwarded")


# --------------------------------------------------------------------------- class 7
def _spki_with_unknown_algorithm() -> str:
    import base64

    oid = bytes.fromhex("0603") + bytes([0x2A, 0x03, 0x04])  # 1.2.3.4: no such key algorithm
    algorithm = b"\x30" + bytes([len(oid)]) + oid
    bits = b"\x03\x21\x00" + b"\x01" * 32
    spki = b"\x30" + bytes([len(algorithm) + len(bits)]) + algorithm + bits
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode()


def test_class7_unknown_key_algorithm_is_a_result_not_a_crash():
    from tests.support.attack import zone

    world = zone(**{"s1._domainkey.victim.example": {"TXT": [_spki_with_unknown_algorithm()]}})
    raw = FORGED_INBOUND + sign(message())
    out = check(raw, world)
    assert out.dkim[0].result == "permerror"
    assert diagnose(raw, world).verdict == "spoofed"


@pytest.mark.parametrize("charset", ["utf-8\x00", "base64", "rot13", "x" * 300, "\x00"])
def test_class7_hostile_charset_is_not_a_crash(charset):
    from mailwarden.bounces import analyze_bounce
    from mailwarden.message import parse_message

    dsn = (f"From: MAILER-DAEMON@mx.example.net\nTo: {OWNER}\nSubject: Undelivered Mail Returned to Sender\n"
           "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
           f"--B\nContent-Type: text/plain; charset=\"{charset}\"\n\nDelivery failed.\n"
           "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
           "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.1.1\n\n"
           f"--B\nContent-Type: text/rfc822-headers; charset=\"{charset}\"\n\n"
           f"From: =?{charset}?q?Alice?= <{OWNER}>\nSubject: hi\n\n--B--\n").encode()
    report = analyze_bounce(parse_message(dsn))
    assert report.is_bounce
    assert diagnose(received(f"mx.example.net (mx.example.net [{ATTACKER_IP}])") + dsn).verdict in (
        "backscatter", "inconclusive", "bounce")


def test_class7_received_fields_full_of_bad_literals_are_fast():
    import time

    field = ("Received: from x " + "([999.1.1.1]) [1.2.3.999] " * 140 + "by mx.example; " + "Mon, 1 Jan 2024 "
             "00:00:00 +0000\n").encode()
    raw = field * 300 + message()  # about 1.1 MB of Received fields
    assert len(raw) > 1_000_000
    start = time.perf_counter()
    check(raw)
    diagnose(raw)
    assert time.perf_counter() - start < 3  # was 12 s for diagnose


# --------------------------------------------------------------------------- class 5
def _dsn(original: bytes) -> bytes:
    """A DSN from mx.bouncer.example to the owner, returning ``original`` as message/rfc822."""
    return (return_path("") + received("mx.bouncer.example (mx.bouncer.example [198.51.100.20])")
            + b"From: Mail Delivery System <MAILER-DAEMON@mx.bouncer.example>\n"
            + f"To: {OWNER}\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 21 Sep 2026 10:05:00 +0000\n"
              "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BND\"\n\n"
              "--BND\nContent-Type: text/plain\n\nThis is the mail system at host mx.bouncer.example.\n"
              "I'm sorry to have to inform you that your message could not be delivered.\n\n"
              "<bob@bouncer.example>: host mx.bouncer.example said: 550 5.1.1 User unknown\n\n"
              "--BND\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.bouncer.example\n\n"
              "Final-Recipient: rfc822; bob@bouncer.example\nAction: failed\nStatus: 5.1.1\n"
              "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
              "--BND\nContent-Type: message/rfc822\n\n".encode()
            + original + b"\n--BND--\n")


QUOTED_HOPS = (
    f"Received: from out.victim.example (out.victim.example [{VICTIM_IP}]) by mx.bouncer.example with ESMTPS;"
    f" Mon, 21 Sep 2026 10:00:05 +0000\n"
    f"Received: from laptop (unknown [{ATTACKER_IP}]) (Authenticated sender: {OWNER}) by mx.victim.example "
    "with ESMTPSA; Mon, 21 Sep 2026 10:00:04 +0000\n").encode()


def test_class5_quoted_hops_do_not_make_a_forged_bounce_genuine():
    forged_original = return_path() + QUOTED_HOPS + message(subject="Cheap pills")
    result = diagnose(_dsn(forged_original))
    assert result.verdict == "backscatter", result.summary
    assert any("not proof" in e or "proves nothing" in e
               for e in evidence(result, "original-trace") + evidence(result, "original-spf"))
    # the forger's own signature on the quoted original, or a broken owner signature, proves nothing either
    assert diagnose(_dsn(sign(forged_original, "attacker.example"))).verdict == "backscatter"


def test_class5_the_owners_verifying_signature_makes_a_real_bounce():
    genuine_original = return_path() + QUOTED_HOPS + sign(message(subject="Minutes"))
    result = diagnose(_dsn(genuine_original))
    assert result.verdict == "bounce"
    assert [e.split(":")[0] for e in evidence(result, "original-dkim")] == ["pass"]


def test_class5_bounce_command_never_says_genuine_from_quoted_hops():
    from mailwarden.bounces import analyze_bounce, backscatter_verdict
    from mailwarden.message import parse_message

    data = _dsn(return_path() + QUOTED_HOPS + sign(message()))
    verdict = backscatter_verdict(analyze_bounce(parse_message(data)), [OWNER], [])
    assert verdict.verdict == "unknown"  # not "genuine": the hops and d= are text until verified


# --------------------------------------------------------------------------- class 6
def _submitted_by(user: str | None) -> bytes:
    auth = f" (Authenticated sender: {user})" if user else ""
    return (return_path()
            + received(f"out.victim.example (out.victim.example [{VICTIM_IP}])")
            + f"Received: from laptop (unknown [198.51.100.77]){auth} by out.victim.example (Postfix) with "
              f"ESMTPSA id 77; {'Mon, 21 Sep 2026 09:59:59 +0000'}\n".encode()
            + sign(message()))


def test_class6_another_account_is_not_your_account():
    mine = diagnose(_submitted_by(OWNER))
    assert (mine.verdict, mine.path) == ("authentic", "owner-account")
    other = diagnose(_submitted_by("mallory@victim.example"))
    assert (other.verdict, other.path) == ("authentic", "other-account")
    assert "another account" in other.summary and "not yours" in other.summary
    assert any("password is not the problem" in a for a in other.advice)
    unnamed = diagnose(_submitted_by(None))
    assert unnamed.path == "unknown"  # a login, but the provider did not say whose
    domain_owner = diagnose(_submitted_by("mallory@victim.example"), me=[], domains=["victim.example"])
    assert domain_owner.path == "owner-account"  # with --domain, every account of the domain is the owner's
    elsewhere = diagnose(_submitted_by("someone@freemail.example"), me=[], domains=["victim.example"])
    assert elsewhere.path == "other-account"


def test_class6_login_claims_below_the_provider_are_the_senders():
    """An ESMTPSA hop the sender wrote below a hop handed over by an outsider is no login evidence."""
    raw = (return_path() + received(f"evil.example (unknown [{ATTACKER_IP}])")
           + f"Received: from laptop (unknown [198.51.100.77]) (Authenticated sender: {OWNER}) by "
             "out.victim.example (Postfix) with ESMTPSA id 77; Mon, 21 Sep 2026 09:59:59 +0000\n".encode()
           + sign(message()))
    result = diagnose(raw)  # a replayed genuine signature through the attacker's server
    assert result.path != "owner-account"
    assert not any(e.check == "submission" for e in result.evidence)


def test_class3_whole_message_replay_is_not_high_confidence():
    """SPEC section 6: a genuine owner signature delivered by a host the domain does not authorize, with a
    failing envelope, is a replay or a forward: never `authentic` with high confidence."""
    raw = return_path() + received(f"evil.example (unknown [{ATTACKER_IP}])") + sign(message())
    result = diagnose(raw)
    assert result.verdict in ("authentic", "spoofed", "inconclusive")
    assert result.confidence == "low" and result.path in (None, "unknown")
    assert "replayed" in result.summary
    assert not any("Change your mail password now" in a for a in result.advice)  # not the compromise advice
