"""Realistic signed messages: 90% about 5 KB with 15-25 header fields, 10% with a
~100 KB attachment; relaxed/relaxed DKIM signatures, rsa-sha256 (2048-bit) or
ed25519-sha256 (RFC 6376, RFC 8463).  Message ``i`` depends only on the seed and
``i``, so the quick corpus is a prefix of the full one.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

from bench.corpus.keys import KeyPair
from bench.corpus.signer import relaxed_body, sign

WORDS = ["account", "invoice", "order", "shipping", "delivery", "update", "newsletter", "offer", "customer", "support", "team", "please", "thank", "you", "your", "our", "the", "a", "to", "of", "and", "for", "with", "on", "in", "is", "this", "that", "we", "will", "can", "product", "service", "week", "month", "report", "meeting", "schedule", "project", "review", "payment", "receipt", "confirm", "details", "information", "available", "today", "tomorrow", "new", "more", "about", "from", "have", "has", "security", "notice", "password", "change", "settings", "profile", "event", "ticket", "travel", "booking"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil"]
TIMESTAMP = 1_760_000_000
SIGNED = ["from", "to", "subject", "date", "message-id", "mime-version", "content-type", "reply-to",
          "list-unsubscribe", "list-id", "feedback-id"]


@dataclass(frozen=True)
class Envelope:
    ip: str
    mail_from: str
    helo: str


def _text(rng: random.Random, size: int) -> bytes:
    lines, line, total = [], [], 0
    while total < size:
        word = rng.choice(WORDS)
        line.append(word)
        total += len(word) + 1
        if sum(len(w) + 1 for w in line) > 66 or rng.random() < 0.02:
            lines.append(" ".join(line))
            line = []
            if rng.random() < 0.15:
                lines.append("")
    lines.append(" ".join(line))
    while lines and not lines[-1]:
        lines.pop()
    return ("\r\n".join(lines) + "\r\n").encode()


def _received(rng: random.Random, hop: int, domain: str) -> bytes:
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return (f"Received: from relay{hop}.{domain} (relay{hop}.{domain} [{ip}])\r\n"
            f"\tby mx{hop}.receiver.example (Postfix) with ESMTPS id {rng.getrandbits(40):010X}\r\n"
            f"\tfor <{rng.choice(FIRST)}@receiver.example>; Mon, 13 Oct 2025 08:{hop:02d}:{rng.randrange(60):02d} +0000\r\n"
            ).encode()


def make_message(i: int, seed: str, domain: str, key: KeyPair, selector: str, envelope: Envelope,
                 large: bool, tamper: bool) -> bytes:
    """Message ``i``: headers (15-25 fields including the signature) and a body; signed, then
    altered after signing when ``tamper`` (the verifiers must then report ``fail``)."""
    rng = random.Random(f"{seed}:msg:{i}")
    sender = f"{rng.choice(FIRST)}@{domain}"
    rcpt = f"{rng.choice(FIRST)}@receiver.example"
    hops = rng.randint(2, 5)
    trace = [f"Return-Path: <{envelope.mail_from}>\r\n".encode()]
    trace += [_received(rng, h, domain) for h in range(hops)]
    trace.append(f"Authentication-Results: mx0.receiver.example; spf=pass smtp.mailfrom={domain}\r\n".encode())
    boundary = f"=_bench_{rng.getrandbits(64):016x}"
    content = (f'Content-Type: multipart/mixed;\r\n\tboundary="{boundary}"\r\n' if large
               else "Content-Type: text/plain; charset=utf-8\r\n")
    fields = [
        f"From: \"{sender.split('@')[0].title()} at {domain}\" <{sender}>\r\n",
        f"To: {rcpt}\r\n",
        f"Subject: {' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))}\r\n",
        f"Date: Mon, 13 Oct 2025 08:{rng.randrange(60):02d}:{rng.randrange(60):02d} +0000\r\n",
        f"Message-ID: <{rng.getrandbits(96):024x}@{domain}>\r\n",
        "MIME-Version: 1.0\r\n",
        content,
    ]
    optional = [
        f"Reply-To: support@{domain}\r\n",
        f"List-Unsubscribe: <https://{domain}/u/{rng.getrandbits(64):x}>,\r\n <mailto:unsub@{domain}>\r\n",
        f"List-Id: News <news.{domain}>\r\n",
        f"Feedback-ID: {rng.randrange(10**6)}:campaign:{domain}\r\n",
        "X-Mailer: BenchMailer 4.2\r\n",
        f"X-Campaign-Id: {rng.getrandbits(48):012x}\r\n",
        "X-Priority: 3\r\n",
        f"X-Entity-Ref-ID: {rng.getrandbits(64):016x}\r\n",
        "Content-Language: en-US\r\n",
        "Precedence: bulk\r\n",
        f"X-Spam-Score: {rng.randrange(-30, 30) / 10}\r\n",
        "Auto-Submitted: auto-generated\r\n",
    ]
    # 15-25 fields in all: trace + the signature + fields + some optional ones.
    target = rng.randint(15, 25)
    extra = max(0, min(len(optional), target - len(trace) - 1 - len(fields)))
    fields += rng.sample(optional, extra)
    headers = [f.encode() for f in fields]
    if large:
        attachment = base64.encodebytes(rng.randbytes(72 * 1024)).replace(b"\n", b"\r\n")
        body = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".encode() + _text(rng, 2500)
                + f"--{boundary}\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n".encode()
                + attachment + f"--{boundary}--\r\n".encode())
    else:
        body = _text(rng, rng.randint(2400, 3600))
    assert relaxed_body(body) == body  # canonical already: the floor may hash it as is
    names = [n for n in SIGNED if any(h.lower().startswith(n.encode() + b":") for h in headers)]
    signature = sign(headers, body, key, domain, selector, names, TIMESTAMP)
    if tamper:
        body = body.replace(b" the ", b" teh ", 1) if b" the " in body else b"tampered\r\n" + body
    return b"".join([*trace, signature, *headers, b"\r\n", body])
