"""The resolver that asks nobody."""

from __future__ import annotations

import asyncio

from mailwarden.dns.base import Rcode
from mailwarden.dns.offline import OfflineResolver


def test_every_question_is_a_timeout_at_once():
    resolver = OfflineResolver()

    async def ask():
        answers = [await resolver.query(n, t) for n, t in (("Example.COM.", "TXT"), ("x.example", "mx"))]
        await resolver.aclose()
        return answers

    txt, mx = asyncio.run(ask())
    assert txt.rcode is Rcode.TIMEOUT and txt.failed and txt.name == "example.com" and txt.rdtype == "TXT"
    assert mx.rdtype == "MX" and mx.records == ()
    assert resolver.questions == 2
