"""Every verdict of SPEC section 6 through the shared example cases, with the evidence that decides it."""

from __future__ import annotations

import pytest

from tests.diagnose.conftest import run

CASES = [
    "authentic-webmail-compromised", "backscatter-dsn-userunknown", "bounce-dsn-userunknown-genuine",
    "forwarded-alumni-alias-srs-arc", "inconclusive-dns-servfail-no-authres", "lookalike-one-letter-domain",
    "spoofed-botnet-envelope-random", "spoofed-ipv6-softfail-no-dmarc", "unrelated-newsletter-esp",
]


@pytest.mark.parametrize("name", CASES)
def test_example_verdict(cases, name):
    case = cases[name]
    result = run(case.raw, case.dns, now=case.now)
    assert result.verdict == case.expected, result.summary
    data = result.to_json()
    assert set(data) >= {"verdict", "confidence", "summary", "evidence", "advice", "auth"}
    assert data["confidence"] in ("high", "medium", "low")
    assert set(data["auth"]) >= {"spf", "dkim", "arc", "dmarc", "authentication_results"}
    assert all(set(e) == {"check", "result", "detail"} for e in data["evidence"])
    assert data["advice"]


def test_authentic_names_authenticated_submission_at_provider(cases):
    case = cases["authentic-webmail-compromised"]
    result = run(case.raw, case.dns, now=case.now)
    assert result.sending_path == "provider-submission"
    assert result.confidence == "high"
    sub = [e for e in result.evidence if e.check == "submission"]
    assert sub and "alice@example.com" in sub[0].detail and "203.0.113.150" in sub[0].detail
    assert any("password" in a.lower() for a in result.advice)
    assert any("two-factor" in a for a in result.advice)
    assert result.boundary.ip == "192.0.2.34" and result.boundary.method == "authserv-id"


def test_forwarded_shows_the_forwarding_traces(cases):
    case = cases["forwarded-alumni-alias-srs-arc"]
    result = run(case.raw, case.dns, now=case.now)
    traces = " ".join(e.detail for e in result.evidence if e.check == "forwarding")
    assert "SRS" in traces and "ARC-sealed by alumni.uni.example" in traces
    owner_spf = [e for e in result.evidence if e.check == "spf-owner"]
    assert owner_spf and owner_spf[0].result == "fail"


def test_spoofed_botnet_is_high_confidence_and_not_the_account(cases):
    case = cases["spoofed-botnet-envelope-random"]
    result = run(case.raw, case.dns, now=case.now)
    assert result.confidence == "high"
    assert "not used" in result.summary
    assert result.claimed == ("alice@example.com",)


def test_spoofed_without_dmarc_gives_the_record_to_publish(cases):
    case = cases["spoofed-ipv6-softfail-no-dmarc"]
    result = run(case.raw, case.dns, now=case.now)
    assert any('_dmarc.example.com TXT "v=DMARC1; p=' in a for a in result.advice)


def test_backscatter_judges_the_returned_original(cases):
    case = cases["backscatter-dsn-userunknown"]
    result = run(case.raw, case.dns, now=case.now)
    spf = [e for e in result.evidence if e.check == "original-spf"]
    assert spf and spf[0].result == "fail" and "203.0.113.98" in spf[0].detail
    assert any("BATV" in a for a in result.advice)


def test_genuine_bounce_original_authenticates(cases):
    case = cases["bounce-dsn-userunknown-genuine"]
    result = run(case.raw, case.dns, now=case.now)
    assert [e.result for e in result.evidence if e.check == "original-dkim"] == ["pass"]
    assert [e.result for e in result.evidence if e.check == "original-spf"] == ["pass"]


def test_lookalike_reports_the_one_letter_edit(cases):
    case = cases["lookalike-one-letter-domain"]
    result = run(case.raw, case.dns, now=case.now)
    assert {x.kind for x in result.lookalikes} >= {"one-edit"}
    assert "exanple.com" in result.summary


def test_inconclusive_says_what_is_missing(cases):
    case = cases["inconclusive-dns-servfail-no-authres"]
    result = run(case.raw, case.dns, now=case.now)
    assert result.missing and "DNS" in result.missing[0]
    assert "did not answer" in result.summary and "again later" in result.summary


def test_unrelated_newsletter_has_no_lookalike(cases):
    case = cases["unrelated-newsletter-esp"]
    result = run(case.raw, case.dns, now=case.now)
    assert result.lookalikes == () and result.confidence == "high"
