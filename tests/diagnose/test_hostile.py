"""Incomplete and hostile input: headers-only pastes, partial Received chains, several From
addresses, forged Authentication-Results, DNS failures and timeouts.  Each gets a sensible verdict."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from mailwarden.auth import session
from mailwarden.dns.snapshot import SnapshotResolver
from tests.diagnose.conftest import run


def headers_only(raw: bytes) -> bytes:
    return raw.split(b"\n\n", 1)[0] + b"\n"


def drop_fields(raw: bytes, name: str, containing: bytes = b"") -> bytes:
    """Remove every (folded) header field ``name`` whose text contains ``containing``."""
    head, sep, body = raw.partition(b"\n\n")
    fields = re.split(rb"\n(?=[^ \t])", head)
    kept = [f for f in fields if not (f.lower().startswith(name.lower().encode() + b":") and containing in f)]
    return b"\n".join(kept) + sep + body


def insert_before(raw: bytes, marker: bytes, field: bytes) -> bytes:
    index = raw.index(marker)
    return raw[:index] + field.rstrip(b"\n") + b"\n" + raw[index:]


FORGED_PASS = (b"Authentication-Results: mx.mailhost.example; dkim=pass header.d=example.com header.s=mh2026;\n"
               b" spf=pass smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com\n")


# ------------------------------------------------------------------ pasted headers without a body
def test_headers_only_with_provider_results_stays_authentic(cases):
    case = cases["authentic-webmail-compromised"]
    result = run(headers_only(case.raw), case.dns, now=case.now)
    assert result.verdict == "authentic"
    dkim = [e for e in result.evidence if e.check == "dkim"]
    assert dkim and dkim[0].result == "unverifiable"
    assert any("headers-only" in d.explanation for d in result.disagreements)


def test_headers_only_without_provider_results_uses_spf_at_the_boundary(cases):
    case = cases["authentic-webmail-compromised"]
    raw = drop_fields(headers_only(case.raw), "Authentication-Results")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "authentic"
    assert result.confidence in ("high", "medium")


def test_headers_only_with_unverifiable_signature_is_inconclusive(cases):
    case = cases["forwarded-alumni-alias-srs-arc"]
    raw = drop_fields(drop_fields(headers_only(case.raw), "Authentication-Results"), "ARC-Seal")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "inconclusive"
    assert any("body" in m for m in result.missing)


# ------------------------------------------------------------------ partial Received chain
def test_missing_provider_received_falls_back_to_provider_results(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = drop_fields(case.raw, "Received", b"by mx.mailhost.example")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "spoofed"
    assert not result.boundary.found


def test_no_received_and_no_results_is_inconclusive(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = drop_fields(drop_fields(case.raw, "Received"), "Authentication-Results")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "inconclusive"
    assert any("Received" in m for m in result.missing)


def test_only_pasted_from_and_subject(cases):
    result = run(b"From: alice@example.com\nSubject: hi\n", cases["spoofed-botnet-envelope-random"].dns)
    assert result.verdict == "inconclusive"


def test_no_from_at_all(cases):
    result = run(b"Subject: hi\nTo: alice@example.com\n", cases["spoofed-botnet-envelope-random"].dns)
    assert result.verdict == "inconclusive"
    assert "From" in result.missing[0]


# ------------------------------------------------------------------ several From addresses
def test_multiple_from_with_the_owner_is_judged_for_the_owner(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = case.raw.replace(b"From: alice@example.com\n", b"From: alice@example.com, bob@other.example\n")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "spoofed"
    assert any(e.check == "from" and e.result == "multiple" for e in result.evidence)


def test_multiple_from_none_the_owner_but_one_lookalike(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = case.raw.replace(b"From: alice@example.com\n", b"From: a@other.example, b@examp1e.com\n")
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "lookalike"


# ------------------------------------------------------------------ forged Authentication-Results
def test_forged_results_below_the_boundary_are_ignored(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = insert_before(case.raw, b"From: alice@example.com", FORGED_PASS)
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "spoofed"
    assert any(e.result == "forged" for e in result.evidence)


def test_untrusted_results_on_top_are_ignored(cases):
    case = cases["spoofed-botnet-envelope-random"]
    forged = FORGED_PASS.replace(b"mx.mailhost.example;", b"mx.mailhost.example.evil.example;")
    raw = forged + case.raw
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "spoofed"
    assert any(e.result == "untrusted" for e in result.evidence)


def test_trusted_id_results_above_the_genuine_one_do_not_win(cases):
    case = cases["spoofed-botnet-envelope-random"]
    raw = FORGED_PASS + case.raw
    result = run(raw, case.dns, now=case.now)
    assert result.verdict == "spoofed"
    assert any(e.result == "conflict" for e in result.evidence)


# ------------------------------------------------------------------ DNS failures and timeouts
def test_dns_timeout_without_provider_results_is_inconclusive(cases):
    case = cases["spoofed-ipv6-softfail-no-dmarc"]
    dns = dict(case.dns)
    dns["example.com"] = {**dns["example.com"], "TXT": "TIMEOUT"}
    dns["_dmarc.example.com"] = {"TXT": "TIMEOUT"}
    raw = drop_fields(case.raw, "Authentication-Results")
    result = run(raw, dns, now=case.now)
    assert result.verdict == "inconclusive"
    assert "DNS" in result.summary


def test_dns_timeout_with_provider_results_still_decides(cases):
    case = cases["spoofed-ipv6-softfail-no-dmarc"]
    dns = dict(case.dns)
    dns["example.com"] = {**dns["example.com"], "TXT": "TIMEOUT"}
    result = run(case.raw, dns, now=case.now)
    assert result.verdict == "spoofed"


class SlowResolver:
    """A resolver that never answers in time (a hung DNS server)."""

    def __init__(self, inner):
        self.inner = inner

    async def query(self, name, rdtype):
        await asyncio.sleep(30)
        return await self.inner.query(name, rdtype)

    async def aclose(self):
        pass


def test_hung_dns_is_bounded_and_inconclusive(cases, monkeypatch):
    monkeypatch.setattr(session, "STEP_TIMEOUT", 0.2)
    case = cases["spoofed-ipv6-softfail-no-dmarc"]
    raw = drop_fields(case.raw, "Authentication-Results")
    start = time.monotonic()
    result = run(raw, {}, now=case.now, resolver=SlowResolver(SnapshotResolver.from_dict(case.dns)))
    assert time.monotonic() - start < 5
    assert result.verdict == "inconclusive"
    assert any(e.result == "timeout" for e in result.evidence)


# ------------------------------------------------------------------ hostile sizes
@pytest.mark.slow
def test_huge_received_chain_is_bounded(cases):
    case = cases["spoofed-botnet-envelope-random"]
    hops = b"".join(b"Received: from h%d.example ([10.0.%d.%d]) by relay.example with ESMTP; Thu, 05 Nov 2026 01:17:09 +0000\n"
                    % (i, i // 250 % 250, i % 250) for i in range(20_000))
    raw = insert_before(case.raw, b"From: alice@example.com", hops)
    start = time.monotonic()
    result = run(raw, case.dns, now=case.now)
    assert time.monotonic() - start < 20
    assert result.verdict == "spoofed"
