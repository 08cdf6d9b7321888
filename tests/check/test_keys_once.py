"""One `check` of a message that carries DKIM and ARC signatures made with the same
key asks DNS for that key once (issue 4: never fetch the same key twice in one run)."""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from mailwarden.arc import seal
from mailwarden.check import check_message
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
    result = asyncio.run(check_message(resolver, sealed, authserv_id="mx.example", ip="192.0.2.1",
                                       helo="h.example", mail_from="a@list.example"))
    assert result.dkim[0].result == "pass"
    assert result.arc.cv == "pass"
    key_questions = [q for q in resolver.queries if q[0] == "k._domainkey.list.example"]
    assert key_questions == [("k._domainkey.list.example", "TXT")]


def test_spf_cache_is_reused_between_messages():
    from mailwarden.spf.cache import RecordCache

    resolver = SnapshotResolver.from_dict({"list.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}})
    message = parse_message(b"From: a@list.example\r\nSubject: s\r\n\r\nbody\r\n")
    cache = RecordCache()

    async def twice():
        for _ in range(2):
            result = await check_message(resolver, message, authserv_id="mx.example", ip="192.0.2.1",
                                         helo="h.example", mail_from="a@list.example", spf_cache=cache)
            assert result.spf.result == "pass"

    asyncio.run(twice())
    assert resolver.queries.count(("list.example", "TXT")) == 1
