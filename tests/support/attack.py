"""A small world for adversarial tests: the victim's domain and provider, an attacker's domain,
real Ed25519 DKIM keys, and helpers that run ``check`` and ``diagnose`` on a snapshot resolver.

victim.example   owner alice@victim.example; its servers are 192.0.2.0/24 (out.victim.example is
                 192.0.2.10); the owner's provider receives at mx.victim.example, which stamps
                 Authentication-Results with that authserv-id; DMARC p=reject; DKIM selector s1.
attacker.example the attacker's own domain: SPF 203.0.113.0/24, DKIM selector a1, DMARC p=none.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from mailwarden.auth import Authenticator
from mailwarden.diagnose.service import diagnose_message
from mailwarden.dkim.sign import generate_key, sign_message
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message

NOW = 1_790_000_000
DATE = "Mon, 21 Sep 2026 10:00:00 +0000"
OWNER = "alice@victim.example"
PROVIDER = "mx.victim.example"
ATTACKER_IP = "203.0.113.9"
VICTIM_IP = "192.0.2.10"


@cache
def victim_key():
    return generate_key("ed25519")


@cache
def attacker_key():
    return generate_key("ed25519")


def zone(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "victim.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"], "MX": ["10 mx.victim.example"],
                           "A": ["192.0.2.10"]},
        "mx.victim.example": {"A": ["192.0.2.25"]},
        "s1._domainkey.victim.example": {"TXT": [victim_key().txt_record]},
        "_dmarc.victim.example": {"TXT": ["v=DMARC1; p=reject"]},
        "attacker.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"], "A": ["203.0.113.9"]},
        "a1._domainkey.attacker.example": {"TXT": [attacker_key().txt_record]},
        "_dmarc.attacker.example": {"TXT": ["v=DMARC1; p=none"]},
    }
    data.update(extra)
    return data


def return_path(address: str = OWNER) -> bytes:
    return f"Return-Path: <{address}>\n".encode()


def received(helo_and_info: str, by: str = PROVIDER, protocol: str = "ESMTP") -> bytes:
    """A Received field the provider wrote: ``from <helo_and_info> by <by> (Postfix) with ...``."""
    return (f"Received: from {helo_and_info}\n\tby {by} (Postfix) with {protocol} id 4Xy1 for <{OWNER}>;"
            f" {DATE}\n").encode()


def message(*fields: bytes | str, body: bytes = b"Hello,\nplease pay the invoice.\n",
            from_: str = f"Alice <{OWNER}>", subject: str = "Invoice") -> bytes:
    """Header fields (top first), then From/To/Subject/Date/Message-ID and the body."""
    head = b"".join(f.encode() if isinstance(f, str) else f for f in fields)
    return head + (f"From: {from_}\nTo: {OWNER}\nSubject: {subject}\nDate: {DATE}\n"
                   f"Message-ID: <1@victim.example>\n\n").encode() + body


def sign(raw: bytes, domain: str = "victim.example", *, headers: list[str] | None = None,
         body_length: bool = False) -> bytes:
    """Prepend a real DKIM signature by ``domain`` (victim.example s1 or attacker.example a1)."""
    key, selector = (victim_key(), "s1") if domain == "victim.example" else (attacker_key(), "a1")
    field = sign_message(parse_message(raw), domain, selector, key.private_pem, algorithm="ed25519-sha256",
                         headers=headers, now=NOW - 3600, body_length=body_length)
    return field.replace(b"\r\n", b"\n") + raw


def check(raw: bytes, dns: dict[str, Any] | None = None, **options: Any):
    """``mailwarden check`` through the public front door (an :class:`Authenticator` session)."""

    async def job():
        async with Authenticator(SnapshotResolver.from_dict(dns or zone()), authserv_id=PROVIDER) as auth:
            return await auth.authenticate(parse_message(raw), now=NOW, **options)

    return asyncio.run(job())


def diagnose(raw: bytes, dns: dict[str, Any] | None = None, **options: Any):
    options.setdefault("me", [OWNER])
    options.setdefault("trusted_authserv_ids", [PROVIDER])
    async def job():
        async with Authenticator(SnapshotResolver.from_dict(dns or zone())) as session:
            return await diagnose_message(session, parse_message(raw), now=NOW, **options)

    return asyncio.run(job())


def evidence(result, check_name: str) -> list[str]:
    return [f"{e.result}: {e.detail}" for e in result.evidence if e.check == check_name]
