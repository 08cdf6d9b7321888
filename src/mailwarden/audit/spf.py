"""SPF checks on top of the SPF engine's static policy walk.

The lookup and void-lookup counts are the engine's own
(:class:`mailwarden.spf.results.PolicyAnalysis`, RFC 7208 section 4.6.4), never
recounted here.  This module turns the walk into findings (SPEC section 7) and
the "authorized senders" view: which providers and networks the policy lets
send as the domain, named where an include is a known provider.

RFC 7208 references: 4.5 (one record), 4.6 (syntax = permerror), 4.6.4 (10
lookups, 2 void lookups), 5.1 (``all``), 5.2 (include), 5.5 (``ptr`` SHOULD
NOT be used), 6.1 (redirect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailwarden.audit.providers import identify
from mailwarden.audit.results import CRITICAL, INFO, WARNING, AuthorizedSender, Finding, SPFReport

if TYPE_CHECKING:
    from mailwarden.spf.results import PolicyAnalysis

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
#: An IPv4 range wider than this in the domain's own record is suspicious (a /16).
OWN_IPV4_WARN = 1 << 16
#: Any IPv4 range (or total) wider than this authorizes "an unreasonable number of addresses" (a /8).
IPV4_CRITICAL = 1 << 24
#: IPv6: the domain's own record wider than a /32 (a whole ISP allocation).
OWN_IPV6_WARN_PREFIX = 32
#: a/mx with a prefix shorter than this authorize whole networks around each host.
A_MX_MIN_PREFIX4 = 16


def records_by_domain(analysis: PolicyAnalysis) -> dict[str, str]:
    """Domain -> SPF record text for every record the walk reached."""
    return {r.domain.lower(): r.record for r in analysis.records if r.record and r.status == "ok"}


def subtree_ipv4(domain: str, texts: dict[str, str], seen: frozenset[str] = frozenset()) -> int:
    """IPv4 addresses authorized by ip4 terms under ``domain`` (includes and redirect), loop-safe."""
    from mailwarden.spf.record import parse_record

    domain = domain.lower()
    text = texts.get(domain)
    if text is None or domain in seen or len(seen) > 40:
        return 0
    seen = seen | {domain}
    rec = parse_record(text)
    total = 0
    for m in rec.mechanisms:
        if m.kind == "ip4" and m.qualifier in "+":
            total += 1 << (32 - m.prefix)
        elif m.kind == "include" and m.domain is not None and m.domain.literal:
            total += subtree_ipv4(m.domain.literal, texts, seen)
    if rec.redirect is not None and rec.redirect.literal and rec.all_mechanism is None:
        total += subtree_ipv4(rec.redirect.literal, texts, seen)
    return total


def authorized_senders(analysis: PolicyAnalysis, domain: str) -> tuple[AuthorizedSender, ...]:
    """The top record's pass-giving terms (following a redirect), each named and sized."""
    from mailwarden.spf.record import parse_record

    texts = records_by_domain(analysis)
    out: list[AuthorizedSender] = []
    current, seen = domain.lower(), set()
    while current in texts and current not in seen and len(seen) < 10:
        seen.add(current)
        rec = parse_record(texts[current])
        for m in rec.mechanisms:
            if m.kind == "all" or m.qualifier != "+":
                continue
            provider, count = None, None
            if m.kind == "include" and m.domain is not None:
                target = m.domain.literal
                if target:
                    p = identify(target)
                    provider = p.name if p else None
                    count = subtree_ipv4(target, texts)
            elif m.kind == "ip4":
                count = 1 << (32 - m.prefix)
            elif m.kind == "ip6":
                count = 1 << (128 - m.prefix)
            out.append(AuthorizedSender(m.text, current, provider, count))
        if rec.redirect is None or rec.all_mechanism is not None or not rec.redirect.literal:
            break
        current = rec.redirect.literal.lower()
    return tuple(out)


def spf_report(analysis: PolicyAnalysis, domain: str, txt_spf_records: tuple[str, ...]) -> SPFReport:
    ipv4 = sum(n.addresses for n in analysis.networks if n.version == 4)
    ipv6 = sum(n.addresses for n in analysis.networks if n.version == 6)
    return SPFReport(
        record=analysis.record, records=txt_spf_records, lookups=analysis.lookups,
        void_lookups=analysis.void_lookups, all_qualifier=analysis.all_qualifier,
        senders=authorized_senders(analysis, domain) if analysis.status == "ok" else (),
        ipv4_addresses=ipv4, ipv6_addresses=ipv6, error=analysis.problem,
    )


def _fmt(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} billion ({n:,})".replace(".0 ", " ")
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} million ({n:,})"
    return f"{n:,}"


def check_spf(analysis: PolicyAnalysis, domain: str, *, no_mail: bool = False) -> list[Finding]:
    """Findings for the SPF policy of ``domain`` (SPEC section 7 ids)."""
    findings: list[Finding] = []
    status = analysis.status
    if status == "none":
        findings.append(Finding(
            "spf-missing", CRITICAL,
            "The domain publishes no SPF record, so receivers cannot tell its real servers from forgers.",
            "Publish one TXT record at the domain: 'v=spf1 -all' if it sends no mail, otherwise "
            "'v=spf1' + your mail services' includes + '-all' (see the records below).", "spf"))
        return findings
    if status == "multiple":
        findings.append(Finding(
            "spf-multiple", CRITICAL,
            "The domain publishes more than one SPF record; receivers then treat SPF as broken (permerror) for every message.",
            "Merge them into a single 'v=spf1 ...' TXT record and delete the others (RFC 7208 section 4.5).",
            "spf", analysis.problem))
        return findings
    if status == "syntax":
        findings.append(Finding(
            "spf-syntax", CRITICAL,
            "The SPF record has a syntax error, so every receiver treats SPF as broken (permerror).",
            f"Correct the record: {analysis.problem or 'see the detail'}.", "spf", analysis.record))
        return findings
    if status == "temperror":
        findings.append(Finding(
            "spf-temperror", WARNING, "The SPF record could not be looked up (DNS error).",
            "Check that the domain's name servers answer TXT queries, then run the audit again.", "spf",
            analysis.problem))
        return findings
    if no_mail and not (analysis.all_qualifier == "-" and analysis.lookups == 0 and not analysis.networks):
        findings.append(Finding(
            "spf-not-reject-all", WARNING,
            "The domain sends no mail, yet its SPF record authorizes senders.",
            "Replace it with 'v=spf1 -all'.", "spf", analysis.record))
    _loops(analysis, findings)
    if analysis.lookups > LOOKUP_LIMIT:
        findings.append(Finding(
            "spf-too-many-lookups", CRITICAL,
            f"Checking the SPF policy needs {analysis.lookups} DNS lookups; above 10 receivers stop and treat SPF as broken (permerror).",
            "Remove the include of every service that no longer sends your mail until at most 10 lookups "
            "remain (see the corrected record below). Do not replace a provider's include with its addresses: "
            "they change without notice.",
            "spf", f"{analysis.lookups} lookups (limit {LOOKUP_LIMIT}, RFC 7208 section 4.6.4)"))
    if analysis.void_lookups > VOID_LIMIT:
        voids = [r.domain for r in analysis.records if r.status == "void"]
        findings.append(Finding(
            "spf-void-lookups", CRITICAL,
            f"The SPF policy names {analysis.void_lookups} hosts or includes that do not exist; above 2 receivers treat SPF as broken (permerror).",
            "Remove the terms that point to names that no longer exist" + (": " + ", ".join(voids) if voids else "") + ".",
            "spf", f"{analysis.void_lookups} void lookups (limit {VOID_LIMIT}, RFC 7208 section 4.6.4)"))
    _nested(analysis, domain, findings)
    if analysis.all_qualifier == "+":
        findings.append(Finding(
            "spf-permissive-all", CRITICAL,
            "The SPF record ends with '+all', which authorizes every server on the Internet to send as the domain.",
            "Replace '+all' with '-all' (or '~all' while you are still testing).", "spf", analysis.record))
    elif analysis.all_qualifier == "?":
        findings.append(Finding(
            "spf-permissive-all", WARNING,
            "The SPF record ends with '?all' (neutral), so it protects nothing: forged mail gets the same result as unlisted mail.",
            "Replace '?all' with '-all' once every sending service is listed (or '~all' while testing).", "spf",
            analysis.record))
    elif analysis.all_qualifier is None and not analysis.loops:
        findings.append(Finding(
            "spf-no-all", WARNING,
            "The SPF record does not end with an 'all' term, so mail from unlisted servers gets a neutral result instead of a failure.",
            "Add '-all' at the end of the record (or '~all' while testing).", "spf", analysis.record))
    if analysis.uses_ptr:
        findings.append(Finding(
            "spf-ptr", WARNING,
            "The SPF policy uses the 'ptr' mechanism, which is slow, unreliable and deprecated; many receivers skip it.",
            "Replace 'ptr' with ip4:/ip6: ranges or 'a:'/'mx' terms for your servers (RFC 7208 section 5.5).",
            "spf", ", ".join(analysis.uses_ptr)))
    _broad(analysis, domain, findings)
    if analysis.macro_terms:
        findings.append(Finding(
            "spf-macros", INFO,
            "The SPF policy uses macros, which this audit cannot follow; their lookups are counted but not their targets.",
            "Nothing to do if the macros come from your provider's documentation.", "spf",
            ", ".join(analysis.macro_terms[:5])))
    return findings


def _loops(analysis: PolicyAnalysis, findings: list[Finding]) -> None:
    if analysis.loops:
        findings.append(Finding(
            "spf-include-loop", CRITICAL,
            "The SPF policy includes itself in a loop, so receivers give up and treat SPF as broken (permerror).",
            "Remove the include that points back: " + analysis.loops[0] + ".", "spf", "; ".join(analysis.loops)))


def _nested(analysis: PolicyAnalysis, domain: str, findings: list[Finding]) -> None:
    """Includes whose target has no record, several records or a syntax error (RFC 7208 section 5.2)."""
    broken = [r for r in analysis.records if r.depth > 0 and r.status in ("none", "void", "multiple", "syntax")]
    if broken:
        findings.append(Finding(
            "spf-include-broken", CRITICAL,
            "The SPF policy includes names without a valid SPF record; when a receiver reaches them, SPF is broken (permerror).",
            "Remove or correct these includes: " + ", ".join(r.domain for r in broken[:6]) + ".",
            "spf", "; ".join(f"{r.domain}: {r.problem or r.status}" for r in broken[:6])))


def _broad(analysis: PolicyAnalysis, domain: str, findings: list[Finding]) -> None:
    from mailwarden.spf.record import parse_record

    own = domain.lower()
    worst_sev, reasons = None, []
    total4 = sum(n.addresses for n in analysis.networks if n.version == 4)
    for n in analysis.networks:
        if n.version == 4 and n.addresses > IPV4_CRITICAL:
            worst_sev = CRITICAL
            reasons.append(f"{n.term} in {n.domain} ({_fmt(n.addresses)} addresses)")
        elif n.version == 4 and n.domain.lower() == own and n.addresses > OWN_IPV4_WARN:
            worst_sev = worst_sev or WARNING
            reasons.append(f"{n.term} ({_fmt(n.addresses)} addresses)")
        elif n.version == 6 and n.domain.lower() == own and int(n.network.rsplit("/", 1)[-1]) < OWN_IPV6_WARN_PREFIX:
            worst_sev = worst_sev or WARNING
            reasons.append(f"{n.term} (a whole IPv6 allocation)")
    for r in analysis.records:
        if r.status != "ok" or not r.record:
            continue
        for m in parse_record(r.record).mechanisms:
            if m.kind in ("a", "mx") and m.cidr4 < A_MX_MIN_PREFIX4:
                worst_sev = CRITICAL if m.cidr4 < 8 else (worst_sev or WARNING)
                reasons.append(f"{m.text} in {r.domain} (a /{m.cidr4} around each host)")
    if worst_sev is None and total4 > IPV4_CRITICAL * 4:
        worst_sev = WARNING
        reasons.append(f"all ranges together ({_fmt(total4)} addresses)")
    if worst_sev is not None:
        findings.append(Finding(
            "spf-broad-range", worst_sev,
            f"The SPF policy authorizes about {_fmt(total4)} IPv4 addresses; anyone renting a server in those ranges can send as the domain.",
            "List only your real servers and your providers' includes; remove " + "; ".join(reasons[:3]) + ".",
            "spf", "; ".join(reasons)))
