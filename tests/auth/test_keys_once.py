"""One authentication of a message that carries DKIM and ARC signatures made with the same
key asks DNS for that key once (issue 4), and a session asks DNS for a policy, a key or a
DMARC record once however many messages it checks (issue 16: one cache, TTL-respecting)."""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from mailwarden.arc import seal
from mailwarden.auth import Authenticator
from mailwarden.dkim import sign_message
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message


def test_key_fetched_once_for_dkim_and_arc():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                            serialization.PublicFormat.Raw)).decode()
    raw = (b"From: a@list.example\r\nTo: b@example.net\r\nSubject: s\r\n"
           b"Authentication-Results: mx.list.example; spf=pass smtp.mailfrom=list.example\r\n\r\nbody\r\n")
    message = parse_message(raw)
    signed = parse_message(sign_message(message, "list.example", "k", pem, algorithm="ed25519-sha256") + raw)
    arc_set = seal(signed, "list.example", "k", pem, "mx.list.example")
    sealed = parse_message(arc_set.as_bytes() + signed.as_bytes())
    resolver = SnapshotResolver.from_dict({"k._domainkey.list.example": {"TXT": [f"v=DKIM1; k=ed25519; p={public}"]}})

    async def once():
        async with Authenticator(resolver, authserv_id="mx.example") as auth:
            return await auth.authenticate(sealed, ip="192.0.2.1", helo="h.example", mail_from="a@list.example")

    result = asyncio.run(once())
    assert result.dkim[0].result == "pass"
    assert result.arc.cv == "pass"
    key_questions = [q for q in resolver.queries if q[0] == "k._domainkey.list.example"]
    assert key_questions == [("k._domainkey.list.example", "TXT")]


def test_session_asks_dns_once_for_policies_keys_and_dmarc():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                            serialization.PublicFormat.Raw)).decode()
    raw = b"From: a@list.example\r\nSubject: s\r\n\r\nbody\r\n"
    signed = sign_message(parse_message(raw), "list.example", "k", pem, algorithm="ed25519-sha256") + raw
    resolver = SnapshotResolver.from_dict({
        "list.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        "k._domainkey.list.example": {"TXT": [f"v=DKIM1; k=ed25519; p={public}"]},
        "_dmarc.list.example": {"TXT": ["v=DMARC1; p=reject"]},
    })

    async def twice():
        async with Authenticator(resolver, authserv_id="mx.example") as auth:
            for _ in range(2):
                report = await auth.authenticate(signed, ip="192.0.2.1", helo="h.example",
                                                 mail_from="a@list.example")
                assert (report.spf.result, report.dkim[0].result, report.dmarc.result) == ("pass", "pass", "pass")
            return auth.stats()

    stats = asyncio.run(twice())
    for question in [("list.example", "TXT"), ("k._domainkey.list.example", "TXT"), ("_dmarc.list.example", "TXT")]:
        assert resolver.queries.count(question) == 1, question
    assert stats.hits >= 3 and stats.entries >= 3


def test_session_does_not_close_a_resolver_it_was_given():
    closed = []

    class Tracking(SnapshotResolver):
        async def aclose(self):
            closed.append(True)

    resolver = Tracking.from_dict({})

    async def run():
        async with Authenticator(resolver) as auth:
            await auth.authenticate(b"From: a@list.example\r\n\r\nbody\r\n")

    asyncio.run(run())
    assert closed == []
