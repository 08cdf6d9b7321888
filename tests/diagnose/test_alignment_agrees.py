"""diagnose and DMARC share one definition of identifier alignment (issue 16).

``sub.owner.example`` publishes its own DMARC record and ``owner.example`` none.
The Public Suffix List makes ``owner.example`` the Organizational Domain of both
names, so a DKIM pass for ``d=owner.example`` would look aligned; the RFC 9989
tree walk makes ``sub.owner.example`` its own Organizational Domain, so it is not.
In each mode the verdict follows the DMARC result it quotes.
"""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from mailwarden.auth import Authenticator
from mailwarden.diagnose.service import diagnose_message
from mailwarden.dkim import sign_message
from mailwarden.dmarc import Aligner, LookupCache, tree_walk_organizational_domain
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message
from mailwarden.psl import psl_organizational_domain

NOW = 1795500000.0


def _signed_message_and_dns():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                            serialization.PublicFormat.Raw)).decode()
    body = (b"From: Dana <dana@sub.owner.example>\r\nTo: dana@sub.owner.example\r\nSubject: invoice\r\n"
            b"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@owner.example>\r\n\r\nhello\r\n")
    signed = sign_message(parse_message(body), "owner.example", "s1", pem, algorithm="ed25519-sha256") + body
    raw = (b"Return-Path: <bounce@bulk.example>\r\n"
           b"Received: from out.bulk.example (out.bulk.example [198.51.100.7]) by mx.provider.example"
           b" with ESMTP id 1; Sat, 05 Dec 2026 10:00:01 +0000\r\n" + signed)
    dns = {
        "_dmarc.sub.owner.example": {"TXT": ["v=DMARC1; p=reject"]},
        "s1._domainkey.owner.example": {"TXT": [f"v=DKIM1; k=ed25519; p={public}"]},
        "bulk.example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
        "sub.owner.example": {"TXT": ["v=spf1 -all"], "MX": ["10 mx.provider.example"]},
    }
    return raw, dns


def _diagnose(raw: bytes, dns: dict, mode: str):
    async def run():
        async with Authenticator(SnapshotResolver.from_dict(dns), dmarc_mode=mode) as session:
            return await diagnose_message(session, parse_message(raw), domains=["sub.owner.example"],
                                          trusted_relays=["mx.provider.example"], now=NOW)

    return asyncio.run(run())


def test_the_two_organizational_domains_differ():
    _, dns = _signed_message_and_dns()
    resolver = SnapshotResolver.from_dict(dns)
    walk = asyncio.run(tree_walk_organizational_domain(resolver, "sub.owner.example", LookupCache()))
    assert walk == "sub.owner.example"
    assert psl_organizational_domain("sub.owner.example") == psl_organizational_domain("owner.example") \
        == "owner.example"
    assert asyncio.run(Aligner(resolver, "rfc9989").aligned("owner.example", "sub.owner.example")) is False
    assert asyncio.run(Aligner(resolver, "rfc7489").aligned("owner.example", "sub.owner.example")) is True


def test_rfc9989_diagnose_agrees_with_dmarc_fail():
    raw, dns = _signed_message_and_dns()
    d = _diagnose(raw, dns, "rfc9989")
    assert d.auth.dkim[0].result == "pass" and d.auth.dkim[0].domain == "owner.example"
    assert d.auth.dmarc.result == "fail" and not d.auth.dmarc.alignment.dkim
    assert d.verdict != "authentic", d.summary  # the PSL would have called the DKIM pass aligned


def test_rfc7489_diagnose_agrees_with_dmarc_pass():
    raw, dns = _signed_message_and_dns()
    d = _diagnose(raw, dns, "rfc7489")
    assert d.auth.dmarc.result == "pass" and d.auth.dmarc.alignment.dkim
    assert d.verdict in ("authentic", "forwarded"), d.summary
