"""DMARC discovery and evaluation, built from the behaviours RFC 9989 describes
(section 4.10 tree walk and its eight-query cap, section 4.10.2 psd=, section 4.7
np= / t=, pct historic) and from RFC 7489 (PSL Organizational Domain, pct)."""

from __future__ import annotations

import asyncio
import time

import pytest

from mailwarden.dmarc import (
    MAX_TREE_WALK_QUERIES,
    LookupCache,
    discover_policy,
    evaluate_dmarc,
    tree_walk_organizational_domain,
    tree_walk_targets,
)
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message


class Counting:
    """Wraps a resolver and records every question."""

    def __init__(self, inner):
        self.inner = inner
        self.asked: list[tuple[str, str]] = []

    async def query(self, name, rdtype):
        self.asked.append((name, rdtype))
        return await self.inner.query(name, rdtype)

    async def aclose(self):
        await self.inner.aclose()


def resolver(zone: dict) -> Counting:
    return Counting(SnapshotResolver.from_dict(zone))


def run(coro):
    return asyncio.run(coro)


def dkim(domain, result="pass"):
    return {"domain": domain, "result": result}


def spf(domain, result="pass"):
    return {"domain": domain, "result": result}


DEEP = "a.b.c.d.e.f.g.h.i.j.mail.example.com"  # 13 labels


# --------------------------------------------------------------------------- tree walk (RFC 9989 section 4.10)


def test_tree_walk_targets_jump_to_seven_labels():
    targets = tree_walk_targets(DEEP)
    assert targets[0] == DEEP
    assert targets[1] == "g.h.i.j.mail.example.com"  # eight or more labels: next query has seven
    assert targets[-1] == "com"
    assert len(targets) == MAX_TREE_WALK_QUERIES
    assert tree_walk_targets("mail.example.com") == ["mail.example.com", "example.com", "com"]


def test_tree_walk_from_deep_subdomain_finds_org_record():
    res = resolver({"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; sp=quarantine"]},
                    DEEP: {"A": ["192.0.2.1"]}})
    disc = run(discover_policy(res, DEEP))
    assert disc.status == "found"
    assert disc.record_domain == "example.com"
    assert disc.via == "tree-walk"
    assert disc.organizational_domain == "example.com"
    txt = [n for n, t in res.asked if t == "TXT"]
    assert len(txt) == len(set(txt)) <= MAX_TREE_WALK_QUERIES
    assert txt[:2] == [f"_dmarc.{DEEP}", "_dmarc.g.h.i.j.mail.example.com"]
    out = run(evaluate_dmarc(res, [DEEP], None, [dkim("example.com")]))
    assert out.result == "pass" and out.alignment.dkim and out.aligned_dkim_domain == "example.com"
    fail = run(evaluate_dmarc(resolver({"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; sp=quarantine"]},
                                        DEEP: {"A": ["192.0.2.1"]}}), [DEEP], None, [dkim("other.example")]))
    assert (fail.result, fail.policy, fail.disposition) == ("fail", "quarantine", "quarantine")


def test_tree_walk_stops_at_first_record_for_policy():
    zone = {
        "_dmarc.mail.example.com": {"TXT": ["v=DMARC1; p=none; sp=reject"]},
        "_dmarc.example.com": {"TXT": ["v=DMARC1; p=quarantine"]},
        "x.mail.example.com": {"A": ["192.0.2.1"]},
    }
    disc = run(discover_policy(resolver(zone), "x.mail.example.com"))
    assert disc.record_domain == "mail.example.com"
    # no psd tag: the Organizational Domain is the record with the fewest labels
    assert disc.organizational_domain == "example.com"
    out = run(evaluate_dmarc(resolver(zone), ["x.mail.example.com"], None, []))
    assert out.policy == "reject"  # sp= of the record found for a subdomain


def test_psd_y_stops_walk_and_org_is_one_below():
    zone = {
        "_dmarc.mail.example.com": {"TXT": ["v=DMARC1; p=none"]},
        "_dmarc.com": {"TXT": ["v=DMARC1; p=reject; psd=y"]},
    }
    assert run(tree_walk_organizational_domain(resolver(zone), "a.mail.example.com", LookupCache())) == "example.com"
    # relaxed alignment then holds between mail.example.com and other.example.com
    out = run(evaluate_dmarc(resolver(zone), ["mail.example.com"], None, [dkim("other.example.com")]))
    assert out.result == "pass" and out.organizational_domain == "example.com"


def test_psd_n_stops_walk_without_asking_higher():
    zone = {"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; psd=n"]},
            "_dmarc.com": {"TXT": ["v=DMARC1; p=reject; psd=y"]}}
    res = resolver(zone)
    assert run(tree_walk_organizational_domain(res, "a.b.example.com", LookupCache())) == "example.com"
    assert ("_dmarc.com", "TXT") not in res.asked


def test_psd_record_applies_to_nonexistent_org_domain():
    """authheaders' test_authenticate_dmarc_psdsub: _dmarc.gov psd=y np=reject, example.gov NXDOMAIN."""
    zone = {"_dmarc.gov": {"TXT": ["v=DMARC1; p=reject; sp=none; np=reject; psd=y"]}}
    out = run(evaluate_dmarc(resolver(zone), ["example.gov"], None, []))
    assert (out.result, out.policy, out.organizational_domain, out.record_domain) == \
        ("fail", "reject", "example.gov", "gov")
    assert out.domains[0].policy_source == "np"


# --------------------------------------------------------------------------- np, t, pct


NP_ZONE = {
    "_dmarc.example.biz": {"TXT": ["v=DMARC1; p=none; sp=quarantine; np=reject"]},
    "exists.example.biz": {"TXT": ["host.example.biz"]},  # exists (NODATA for A), RFC 8020
}


@pytest.mark.parametrize("mode", ["rfc9989", "rfc7489"])
def test_np_for_nxdomain_subdomain(mode):
    nx = run(evaluate_dmarc(resolver(NP_ZONE), ["gone.example.biz"], None, [], mode=mode))
    assert (nx.result, nx.policy) == ("fail", "reject")
    assert nx.domains[0].policy_source == "np"
    present = run(evaluate_dmarc(resolver(NP_ZONE), ["exists.example.biz"], None, [], mode=mode))
    assert (present.result, present.policy) == ("fail", "quarantine")
    apex = run(evaluate_dmarc(resolver(NP_ZONE), ["example.biz"], None, [], mode=mode))
    assert apex.policy == "none"


def test_t_y_downgrades_policy_in_rfc9989():
    zone = {"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; t=y"]},
            "_dmarc.example.org": {"TXT": ["v=DMARC1; p=quarantine; t=y"]}}
    out = run(evaluate_dmarc(resolver(zone), ["example.com"], None, []))
    assert (out.result, out.policy, out.applied_policy, out.disposition) == ("fail", "reject", "quarantine", "quarantine")
    out = run(evaluate_dmarc(resolver(zone), ["example.org"], None, []))
    assert (out.policy, out.applied_policy, out.disposition) == ("quarantine", "none", "none")
    passed = run(evaluate_dmarc(resolver(zone), ["example.com"], None, [dkim("example.com")]))
    assert passed.disposition == "none"
    legacy = run(evaluate_dmarc(resolver(zone), ["example.com"], None, [], mode="rfc7489"))
    assert legacy.applied_policy == "reject"  # t= is not an RFC 7489 tag


def test_pct_ignored_in_rfc9989_honoured_in_rfc7489():
    zone = {"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; pct=0"]},
            "_dmarc.example.net": {"TXT": ["v=DMARC1; p=quarantine; pct=50"]}}

    def never_called():
        raise AssertionError("pct sampled in rfc9989 mode")

    modern = run(evaluate_dmarc(resolver(zone), ["example.com"], None, [], sample=never_called))
    assert (modern.applied_policy, modern.disposition) == ("reject", "reject")
    legacy = run(evaluate_dmarc(resolver(zone), ["example.com"], None, [], mode="rfc7489"))
    assert (legacy.policy, legacy.applied_policy, legacy.disposition) == ("reject", "quarantine", "quarantine")
    inside = run(evaluate_dmarc(resolver(zone), ["example.net"], None, [], mode="rfc7489", sample=lambda: 10.0))
    assert inside.applied_policy == "quarantine"
    outside = run(evaluate_dmarc(resolver(zone), ["example.net"], None, [], mode="rfc7489", sample=lambda: 70.0))
    assert outside.applied_policy == "none"


# --------------------------------------------------------------------------- alignment


ALIGN_ZONE = {
    "_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject"]},
    "_dmarc.strict.example": {"TXT": ["v=DMARC1; p=reject; adkim=s; aspf=s"]},
}


@pytest.mark.parametrize("mode", ["rfc9989", "rfc7489"])
def test_relaxed_and_strict_alignment(mode):
    relaxed = run(evaluate_dmarc(resolver(ALIGN_ZONE), ["news.example.com"], spf("bounce.example.com"), [], mode=mode))
    assert relaxed.result == "pass" and relaxed.alignment.spf and not relaxed.alignment.dkim
    strict = run(evaluate_dmarc(resolver(ALIGN_ZONE), ["strict.example"], spf("mail.strict.example"),
                                [dkim("sub.strict.example")], mode=mode))
    assert strict.result == "fail" and not strict.alignment.spf and not strict.alignment.dkim
    exact = run(evaluate_dmarc(resolver(ALIGN_ZONE), ["strict.example"], None,
                               [dkim("sub.strict.example"), dkim("Strict.Example")], mode=mode))
    assert exact.result == "pass" and exact.aligned_dkim_domain == "strict.example"


def test_failed_or_unrelated_identifiers_do_not_align():
    out = run(evaluate_dmarc(resolver(ALIGN_ZONE), ["example.com"], spf("example.com", "softfail"),
                             [dkim("example.com", "fail"), dkim("evil.example")]))
    assert out.result == "fail" and out.alignment == type(out.alignment)(False, False)
    # a look-alike suffix is not a subdomain
    out = run(evaluate_dmarc(resolver(ALIGN_ZONE), ["example.com"], None, [dkim("badexample.com")]))
    assert out.result == "fail"


def test_rfc7489_uses_psl_and_org_record():
    zone = {"_dmarc.example.co.uk": {"TXT": ["v=DMARC1; p=none; sp=reject"]}}
    disc = run(discover_policy(resolver(zone), "mail.example.co.uk", mode="rfc7489"))
    assert (disc.organizational_domain, disc.record_domain, disc.via) == \
        ("example.co.uk", "example.co.uk", "organizational-domain")
    out = run(evaluate_dmarc(resolver(zone), ["mail.example.co.uk"], None, [dkim("other.co.uk")], mode="rfc7489"))
    assert (out.result, out.policy) == ("fail", "reject")


# --------------------------------------------------------------------------- errors and several From domains


def test_temperror_permerror_none():
    zone = {"_dmarc.slow.example": {"TXT": "TIMEOUT"},
            "_dmarc.two.example": {"TXT": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]},
            "_dmarc.bad.example": {"TXT": ["v=DMARC1; p=none; reject"]},
            "_dmarc.other.example": {"TXT": ["v=spf1 -all"]}}
    assert run(evaluate_dmarc(resolver(zone), ["slow.example"], None, [])).result == "temperror"
    two = run(evaluate_dmarc(resolver(zone), ["two.example"], None, []))
    assert two.result == "permerror" and "2 DMARC records" in two.reason
    bad = run(evaluate_dmarc(resolver(zone), ["bad.example"], None, []))
    assert bad.result == "permerror" and "missing tag or value" in bad.reason
    assert run(evaluate_dmarc(resolver(zone), ["other.example"], None, [])).result == "none"


def test_missing_p_rfc7489_is_no_dmarc():
    zone = {"_dmarc.nop.example.org": {"TXT": ["v=DMARC1; sp=quarantine; np=reject"]},
            "_dmarc.example.org": {"TXT": ["v=DMARC1; p=none"]}}
    assert run(evaluate_dmarc(resolver(zone), ["nop.example.org"], None, [], mode="rfc7489")).result == "none"
    modern = run(evaluate_dmarc(resolver(zone), ["nop.example.org"], None, []))
    assert (modern.result, modern.policy) == ("fail", "none")


def test_several_from_domains_worst_applies():
    zone = {"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject"]},
            "_dmarc.example.org": {"TXT": ["v=DMARC1; p=none"]}}
    msg = parse_message(b"From: Bad <spoof@example.org>, Test <test@example.com>\r\n\r\nx\r\n")
    out = run(evaluate_dmarc(resolver(zone), msg, None, [dkim("example.org")]))
    assert out.from_domains == ("example.org", "example.com")
    assert (out.result, out.from_domain, out.policy) == ("fail", "example.com", "reject")
    # several mailboxes make the From ambiguous: the aligned pass for example.org is withdrawn (SPEC section 6)
    assert {d.from_domain: d.result for d in out.domains} == {"example.org": "fail", "example.com": "fail"}
    assert all("ambiguous From" in d.reason for d in out.domains)
    both_fail = run(evaluate_dmarc(resolver(zone), msg, None, []))
    assert (both_fail.from_domain, both_fail.policy) == ("example.com", "reject")  # strictest among equals


def test_no_from_domain_is_permerror():
    msg = parse_message(b'From: "Test User"\r\n\r\nx\r\n')
    out = run(evaluate_dmarc(resolver({}), msg, None, []))
    assert out.result == "permerror" and "From domain" in out.reason


def test_comment_trick_from_domain():
    """CVE-2020-12272 class: the comment is not part of the domain."""
    zone = {"_dmarc.example.net": {"TXT": ["v=DMARC1; p=reject"]},
            "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none"]}}
    msg = parse_message(b"From: <user@example.net(.example.com)>\r\n\r\nx\r\n")
    out = run(evaluate_dmarc(resolver(zone), msg, None, [dkim("example.com")]))
    assert (out.from_domain, out.result, out.policy) == ("example.net", "fail", "reject")


def test_hostile_many_from_domains_bounded():
    header = ", ".join(f"u@d{i}.example" for i in range(1000)).encode()
    msg = parse_message(b"From: " + header + b"\r\n\r\nx\r\n")
    res = resolver({})
    start = time.perf_counter()
    out = run(evaluate_dmarc(res, msg, None, [dkim(f"d{i}.example") for i in range(500)]))
    assert time.perf_counter() - start < 5
    assert out.result == "permerror" and "more than 20" in out.reason  # never a pass, no DNS work
    assert len(res.asked) <= 20 * (MAX_TREE_WALK_QUERIES + 1)


def test_invalid_from_domain_is_permerror():
    out = run(evaluate_dmarc(resolver({}), ["bad..example"], None, []))
    assert out.result == "permerror"


def test_unknown_mode_rejected():
    with pytest.raises(ValueError):
        run(evaluate_dmarc(resolver({}), ["example.com"], None, [], mode="rfc1234"))
