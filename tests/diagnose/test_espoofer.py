"""Regression tests: the espoofer server-mode cases A1-A19 (Chen et al., "Composition Kills",
USENIX Security 2020) and the three OpenDMARC CVE classes, replayed against ``check`` and ``diagnose``.

Each case is the published *shape* (rewritten for this test world, no code copied): the attacker
connects from its own address with its own HELO and MAIL FROM, and gives itself every advantage
it can get - its own domain passes SPF and the message carries its own valid DKIM signature.
The legitimate domain is victim.example.  For every case: DMARC never passes for the victim,
the Authentication-Results line we add never says so, and ``diagnose`` never says ``authentic``.
"""

from __future__ import annotations

import base64

import pytest

from mailwarden.dkim.canon import HeaderIndex, canon_header, hash_body
from mailwarden.dkim.sign import load_private_key, signature_header
from mailwarden.message import parse_message
from tests.support.attack import ATTACKER_IP, NOW, attacker_key, check, diagnose, received, sign, zone

VICTIM = "admin@victim.example"
BODY = b"Hi, this is a test message! Best wishes.\n"


def _headers(from_lines: str, extra: str = "") -> bytes:
    return (f"{from_lines}To: <someone@victim.example>\nSubject: test\nDate: Mon, 21 Sep 2026 10:00:00 +0000\n"
            f"{extra}Message-ID: <x@attacker.example>\nMIME-Version: 1.0\n\n").encode() + BODY


#: case -> (HELO, MAIL FROM, header block).  "A3"/"A4" get a hand-made DKIM signature below.
CASES: dict[str, tuple[str, str, bytes]] = {
    "A1-nonexistent-mailfrom-subdomain": ("helo.attacker.example", "any@mailfrom.notexist.victim.example",
                                          _headers(f"From: <{VICTIM}>\n")),
    "A2-empty-mailfrom-by-paren": ("attacker.example", "(any@victim.example", _headers(f"From: <{VICTIM}>\n")),
    "A3-nul-in-selector": ("33.attacker.example", "any@33.attacker.example", _headers(f"From: <{VICTIM}>\n")),
    "A4-quote-in-dkim-domain": ("attacker.example", "any@attacker.example", _headers(f"From: <{VICTIM}>\n")),
    "A5-paren-in-mailfrom": ("attacker.example", "any@victim.example(a.attacker.example",
                             _headers(f"From: <{VICTIM}>\n")),
    "A6-quote-at-in-mailfrom": ("attacker.example", "any@victim.example'@any.attacker.example",
                                _headers(f"From: <{VICTIM}>\n")),
    "A7-route-in-mailfrom": ("attacker.example", "@victim.example,@any.example:'any@attacker.example",
                             _headers(f"From: <{VICTIM}>\n")),
    "A8-two-from-fields": ("attacker.example", "any@attacker.example",
                           _headers(f"From: <first@attacker.example>\nFrom: <{VICTIM}>\n")),
    "A9-from-with-preceding-space": ("attacker.example", "any@attacker.example",
                                     _headers(f" From: <first@attacker.example>\nFrom: <{VICTIM}>\n")),
    "A10-from-with-space-before-colon": ("attacker.example", "any@attacker.example",
                                         _headers(f"From: <first@attacker.example>\nFrom : <{VICTIM}>\n")),
    "A11-folded-from-name": ("attacker.example", "any@attacker.example",
                             _headers(f"From\n : <first@attacker.example>\nFrom: <{VICTIM}>\n")),
    "A12-from-and-sender": ("attacker.example", "any@attacker.example",
                            _headers("From\n : <first@attacker.example>\n", f"Sender: <{VICTIM}>\n")),
    "A13-from-and-resent-from": ("attacker.example", "any@attacker.example",
                                 _headers("From\n : <first@attacker.example>\n", f"Resent-From: <{VICTIM}>\n")),
    "A14-two-addresses": ("attacker.example", "any@attacker.example",
                          _headers(f"From: <first@attacker.example>, <{VICTIM}>\n",
                                   "Sender: <s@sender.victim.example>\n")),
    "A15-encoded-address": ("attacker.example", "any@attacker.example",
                            _headers("From: =?utf-8?B?" + base64.b64encode(f"<{VICTIM}>".encode()).decode()
                                     + "?=,<second@attacker.example>\n")),
    "A16-route-portion": ("attacker.example", "any@attacker.example",
                          _headers(f"From: <@attacker.example,@any.example:{VICTIM}>\n")),
    "A17-quoted-pair-comma": ("attacker.example", "any@attacker.example",
                              _headers(f"From: <{VICTIM}>\\,<second@attacker.example>\n")),
    "A18-special-character-precedence": ("attacker.example", "any@attacker.example",
                                         _headers(f"From: {VICTIM},<second@attacker.example>\n")),
    "A19-display-name-address-confusion": ("attacker.example", "any@attacker.example",
                                           _headers(f"From: <any@attacker.example>{VICTIM}\n")),
}


def _world():
    return zone(**{
        # the attacker's domains all pass SPF for the attacker's address
        "33.attacker.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
        "any.attacker.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
        "helo.attacker.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
        # the attacker's key, published where a NUL-truncating or quote-confused verifier would look
        "selector._domainkey.attacker.example": {"TXT": [attacker_key().txt_record]},
        "selector._domainkey.victim.example'a.attacker.example": {"TXT": [attacker_key().txt_record]},
    })


def _hand_signed(raw: bytes, domain: str, selector: str) -> bytes:
    """A real Ed25519 signature by the attacker's key with ``d=``/``s=`` the signer API refuses."""
    message = parse_message(raw)
    key, _ = load_private_key(attacker_key().private_pem)
    body = hash_body(message.body, "relaxed", "sha256")
    names = ["from", "to", "subject", "date"]
    items = [("v", "1"), ("a", "ed25519-sha256"), ("c", "relaxed/relaxed"), ("d", domain), ("s", selector),
             ("t", str(NOW - 60)), ("h", ":".join(names)), ("bh", base64.b64encode(body.digest).decode())]
    selected = b"".join(canon_header(h, "relaxed") for h in HeaderIndex(message.fields_by_name).select(names))
    field = signature_header("DKIM-Signature", items, selected, key, "ed25519", "sha256", "relaxed")
    return field.raw.replace(b"\r\n", b"\n") + raw


def _message(case: str) -> tuple[bytes, str, str]:
    helo, mail_from, headers = CASES[case]
    if case.startswith("A3-"):
        headers = _hand_signed(headers, "victim.example", "selector._domainkey.attacker.example.\x00.any")
    elif case.startswith("A4-"):
        headers = _hand_signed(headers, "victim.example'a.attacker.example", "selector")
    elif not case.startswith(("A9-", "A11-", "A12-", "A13-")):
        headers = sign(headers, "attacker.example")  # the attacker's own valid signature
    top = (f"Return-Path: <{mail_from}>\n".encode()
           + received(f"{helo} (unknown [{ATTACKER_IP}])"))
    return top + headers, helo, mail_from


@pytest.mark.parametrize("case", sorted(CASES, key=lambda c: int(c.split("-")[0][1:])))
def test_espoofer_server_case(case):
    raw, helo, mail_from = _message(case)
    out = check(raw, _world(), ip=ATTACKER_IP, helo=helo, mail_from=mail_from)
    assert out.dmarc.result != "pass" or "victim.example" not in (out.dmarc.from_domains or ()), out.dmarc
    assert not any(d.result == "pass" and d.from_domain and d.from_domain.endswith("victim.example")
                   for d in out.dmarc.domains)
    header = out.authentication_results
    assert "header.from=victim.example" not in header or "dmarc=pass" not in header
    assert not any(s.result == "pass" and (s.domain or "").rstrip(".") == "victim.example" for s in out.dkim)
    result = diagnose(raw, _world(), me=[VICTIM], trusted_authserv_ids=["mx.victim.example"])
    assert result.verdict != "authentic", (case, result.summary)
    assert result.verdict != "forwarded"


# --------------------------------------------------------------------------- OpenDMARC CVE classes
def test_cve_2020_12272_paren_substring_in_results():
    """'victim.example(.attacker.example': a DKIM d= or MAIL FROM carrying a parenthesis must be
    read as the attacker's, and our Authentication-Results must not let it read as victim.example."""
    headers = _headers(f"From: <{VICTIM}>\n")
    raw = (b"Return-Path: <any@victim.example(.attacker.example>\n"
           + received(f"attacker.example (unknown [{ATTACKER_IP}])")
           + _hand_signed(headers, "victim.example(.attacker.example", "selector"))
    out = check(raw, _world(), ip=ATTACKER_IP, helo="attacker.example",
                mail_from="any@victim.example(.attacker.example")
    assert out.dmarc.result == "fail"
    header = out.authentication_results
    assert "dmarc=fail" in header
    for token in header.replace(";", " ").split():
        assert token not in ("header.d=victim.example", "smtp.mailfrom=victim.example",
                             "smtp.mailfrom=any@victim.example")
    assert diagnose(raw, _world(), me=[VICTIM]).verdict == "spoofed"


def test_cve_2019_16378_several_addresses_in_from():
    """Several addresses in From: OpenDMARC took the first and passed for the attacker's domain."""
    raw, helo, mail_from = _message("A14-two-addresses")
    out = check(raw, _world(), ip=ATTACKER_IP, helo=helo, mail_from=mail_from)
    assert out.dmarc.result == "fail" and out.dmarc.policy == "reject"
    assert "ambiguous From" in out.dmarc.reason
    assert diagnose(raw, _world(), me=[VICTIM]).verdict == "spoofed"


def test_cve_2019_20790_helo_pass_does_not_align():
    """The HELO identity passes SPF for the attacker while MAIL FROM names a non-existent victim
    subdomain: DMARC aligns the MAIL FROM identity only (RFC 7489 section 3.1.2)."""
    raw, helo, mail_from = _message("A1-nonexistent-mailfrom-subdomain")
    out = check(raw, _world(), ip=ATTACKER_IP, helo=helo, mail_from=mail_from)
    assert out.spf.domain == "mailfrom.notexist.victim.example" and out.spf.result != "pass"
    assert out.dmarc.result == "fail" and out.dmarc.alignment.spf is False
    assert diagnose(raw, _world(), me=[VICTIM]).verdict == "spoofed"
