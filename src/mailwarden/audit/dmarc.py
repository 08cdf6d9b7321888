"""DMARC checks on top of the DMARC engine's record parser and policy discovery.

Policy discovery is the engine's RFC 9989 section 4.10 DNS tree walk
(:func:`mailwarden.dmarc.discovery.discover_policy`); records are parsed by
:func:`mailwarden.dmarc.record.parse_dmarc_record`.  The audit also reads the
raw TXT records at ``_dmarc.<domain>``, because a record that merely *looks*
like DMARC (``v=DMARC1 p=reject`` without the ``;``) is discarded by receivers
(RFC 9989 section 4.10, RFC 7489 section 6.6.3) and must be reported as a
syntax error rather than as "missing".

External report destinations need an authorization record at
``<policy domain>._report._dmarc.<destination host>`` (RFC 7489 section 7.1,
RFC 9990 section 3).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailwarden.audit.results import CRITICAL, INFO, WARNING, DMARCReport, Finding
from mailwarden.dns.base import valid_query_name

if TYPE_CHECKING:
    from mailwarden.dmarc.discovery import PolicyDiscovery
    from mailwarden.dns.base import Answer, Resolver

_LOOKS_LIKE_DMARC = re.compile(r"\s*v\s*=\s*dmarc", re.IGNORECASE)
_MAILTO_HOST = re.compile(r"mailto:[^@]+@([^!,\s]+)", re.IGNORECASE)
#: External destinations checked for authorization (a hostile record may list hundreds).
MAX_DESTINATIONS = 10


@dataclass(frozen=True, slots=True)
class DMARCData:
    """What the audit gathered about DMARC."""

    raw: Answer
    discovery: PolicyDiscovery
    #: (destination host, authorized?) for every external rua/ruf host.
    destinations: tuple[tuple[str, bool], ...]


async def gather_dmarc(resolver: Resolver, domain: str) -> DMARCData:
    """Raw ``_dmarc`` TXT and the tree walk concurrently, then the report authorizations concurrently."""
    from mailwarden.dmarc.alignment import Aligner
    from mailwarden.dmarc.discovery import LookupCache, discover_policy

    lookups = LookupCache()
    raw, discovery = await asyncio.gather(resolver.query(f"_dmarc.{domain}", "TXT"),
                                          discover_policy(resolver, domain, cache=lookups))
    destinations: list[str] = []
    record = discovery.record
    policy_domain = discovery.record_domain or domain
    if record is not None:
        # External = outside the policy domain's Organizational Domain: the same (relaxed)
        # alignment that DMARC itself uses, by the RFC 9989 tree walk.
        aligner = Aligner(resolver, lookups=lookups)
        if discovery.organizational_domain:
            aligner.know(policy_domain, discovery.organizational_domain)
        for uri in record.rua + record.ruf:
            m = _MAILTO_HOST.match(uri)
            if m is None:
                continue
            host = m.group(1).lower().rstrip(".")
            if host not in destinations and not await aligner.aligned(host, policy_domain):
                destinations.append(host)
    destinations = destinations[:MAX_DESTINATIONS]
    names = [f"{policy_domain}._report._dmarc.{h}" for h in destinations]
    answers = await asyncio.gather(*(resolver.query(n, "TXT") for n in names if valid_query_name(n)))
    by_name = dict(zip([n for n in names if valid_query_name(n)], answers, strict=True))
    verdicts = []
    for host, name in zip(destinations, names, strict=True):
        ans = by_name.get(name)
        ok = ans is not None and any(t.strip().lower().startswith("v=dmarc1") for t in ans.texts())
        verdicts.append((host, ok))
    return DMARCData(raw, discovery, tuple(verdicts))


def dmarc_report(data: DMARCData) -> DMARCReport:
    d, rec = data.discovery, data.discovery.record
    looks = tuple(t for t in data.raw.texts() if _LOOKS_LIKE_DMARC.match(t))
    if rec is None:
        return DMARCReport(record=d.record_text or (looks[0] if looks else None), found_at=d.record_domain,
                           records=looks, error="; ".join(d.errors) or None,
                           external_destinations=data.destinations)
    return DMARCReport(
        record=rec.text, found_at=d.record_domain, records=looks or (rec.text,), policy=rec.effective_p(),
        subdomain_policy=rec.sp, pct=rec.pct if rec.has_tag("pct") else None, rua=rec.rua, ruf=rec.ruf,
        adkim=rec.adkim, aspf=rec.aspf, error="; ".join(d.errors) or None,
        external_destinations=data.destinations,
    )


def check_dmarc(data: DMARCData, domain: str, *, no_mail: bool = False) -> list[Finding]:
    """Findings for the DMARC policy that applies to ``domain``."""
    from mailwarden.dmarc.record import is_dmarc_record, parse_dmarc_record

    findings: list[Finding] = []
    d = data.discovery
    raw = data.raw
    if raw.failed or d.status == "temperror":
        findings.append(Finding(
            "dmarc-temperror", WARNING, "The DMARC record could not be looked up (DNS error).",
            "Check that the domain's name servers answer, then run the audit again.", "dmarc",
            "; ".join(d.errors) or raw.rcode.value))
        return findings
    looks = [t for t in raw.texts() if _LOOKS_LIKE_DMARC.match(t)]
    valid_prefix = [t for t in looks if is_dmarc_record(t)]
    if len(valid_prefix) > 1:
        findings.append(Finding(
            "dmarc-multiple", CRITICAL,
            f"The domain publishes {len(valid_prefix)} DMARC records; receivers then ignore DMARC completely, so no policy applies.",
            "Keep exactly one TXT record at _dmarc." + domain + " and delete the others.",
            "dmarc", " | ".join(valid_prefix)))
        return findings
    broken = [t for t in looks if not is_dmarc_record(t)]
    if broken and not valid_prefix:
        findings.append(Finding(
            "dmarc-syntax", CRITICAL,
            "The DMARC record is malformed, so receivers ignore it and forged mail is not blocked.",
            "Rewrite it with ';' between the tags, starting exactly with 'v=DMARC1;' (e.g. 'v=DMARC1; p=reject; rua=mailto:...').",
            "dmarc", broken[0]))
        return findings
    if valid_prefix:
        parsed = parse_dmarc_record(valid_prefix[0])
        if not parsed.valid:
            findings.append(Finding(
                "dmarc-syntax", CRITICAL,
                "The DMARC record has a syntax error, so receivers ignore it and forged mail is not blocked.",
                f"Correct the record at _dmarc.{domain}: {parsed.error_text()}.", "dmarc", parsed.text))
            return findings
    rec = d.record
    if rec is None:
        findings.append(Finding(
            "dmarc-missing", CRITICAL,
            "The domain publishes no DMARC policy, so receivers deliver mail that forges its address.",
            f"Publish a TXT record at _dmarc.{domain}, starting with 'v=DMARC1; p=none; rua=mailto:...' and tightening to p=reject (see the roll-out plan).",
            "dmarc"))
        return findings
    inherited = d.record_domain is not None and d.record_domain != d.domain
    if inherited:
        findings.append(Finding(
            "dmarc-inherited", INFO,
            f"The domain has no DMARC record of its own; the policy of {d.record_domain} applies to it (its sp= or p=).",
            f"Fine if intended; publish _dmarc.{domain} to set a policy of its own.", "dmarc", rec.text))
    policy = (rec.sp or rec.p) if inherited else rec.effective_p()
    invalid_values = [w for w in rec.warnings if "removed in RFC 9989" not in w.message]
    if invalid_values:
        findings.append(Finding(
            "dmarc-syntax", WARNING,
            "The DMARC record has invalid values that receivers replace by defaults: " + "; ".join(map(str, invalid_values[:3])) + ".",
            "Correct these tags.", "dmarc", rec.text))
    if no_mail:
        if policy != "reject":
            findings.append(Finding(
                "dmarc-not-reject", WARNING,
                "The domain sends no mail, so its DMARC policy can be p=reject right away, but it is not.",
                f"Publish 'v=DMARC1; p=reject; sp=reject' at _dmarc.{domain}.", "dmarc", rec.text))
    elif policy == "none" or policy is None:
        findings.append(Finding(
            "dmarc-p-none", WARNING,
            "The DMARC policy is p=none (monitoring only): receivers still deliver mail that forges the domain.",
            "Once the aggregate reports show that all your real mail passes, move to p=quarantine, then p=reject (see the roll-out plan).",
            "dmarc", rec.text))
    if policy in ("quarantine", "reject") and not inherited and rec.sp == "none":
        findings.append(Finding(
            "dmarc-sp-none", WARNING,
            "The DMARC record sets sp=none, so forged mail from any subdomain (billing." + domain + ", ...) is still delivered.",
            "Remove 'sp=none' (subdomains then inherit p=) or set sp=reject.", "dmarc", rec.text))
    if not rec.rua and not no_mail:
        findings.append(Finding(
            "dmarc-no-rua", WARNING,
            "The DMARC record has no rua= address, so nobody receives the reports that show who sends mail as the domain.",
            f"Add 'rua=mailto:dmarc-reports@{domain}' (or your report service's address) to the record.",
            "dmarc", rec.text))
    if rec.has_tag("pct") and rec.pct < 100 and policy in ("quarantine", "reject"):
        findings.append(Finding(
            "dmarc-pct-partial", WARNING,
            f"The DMARC policy applies to only {rec.pct}% of failing mail (pct={rec.pct}); the rest of the forged mail is delivered.",
            "Remove 'pct=' (RFC 9989 dropped it) once the reports look clean.", "dmarc", rec.text))
    if rec.t:
        findings.append(Finding(
            "dmarc-testing", WARNING,
            "The DMARC record has t=y (testing), so receivers apply a weaker policy than the one written.",
            "Remove 't=y' when the roll-out stage is complete.", "dmarc", rec.text))
    unauthorized = [h for h, ok in data.destinations if not ok]
    if unauthorized:
        policy_domain = d.record_domain or domain
        findings.append(Finding(
            "dmarc-rua-unauthorized", WARNING,
            "Reports go to an outside address that has not agreed to receive them, so receivers drop those reports: "
            + ", ".join(unauthorized) + ".",
            "Ask the report service to publish "
            + ", ".join(f"'{policy_domain}._report._dmarc.{h} TXT \"v=DMARC1\"'" for h in unauthorized)
            + " (RFC 7489 section 7.1), or send reports to an address in your own domain.",
            "dmarc", rec.text))
    return findings
