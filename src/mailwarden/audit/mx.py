"""MX checks: missing MX, null MX (RFC 7505), targets that do not resolve.

RFC 5321 section 5.1: without MX records a sender falls back to the domain's
own A/AAAA ("implicit MX"); RFC 7505 section 3: a single MX with preference 0
and the root as exchange says "this domain accepts no mail", and it must be
the only MX.  RFC 2181 section 10.3: an MX target must not be an alias.
"""

from __future__ import annotations

import asyncio

from mailwarden.audit.results import CRITICAL, INFO, WARNING, Finding, MXHost, MXReport
from mailwarden.dns.base import Answer, Resolver

#: MX hosts whose addresses are looked up (a hostile zone may list thousands).
MAX_MX_HOSTS = 16


async def gather_mx(resolver: Resolver, domain: str) -> MXReport:
    """Ask MX, then A and AAAA of every exchange (and of the domain when there is no MX), concurrently."""
    mx_answer, own_a, own_aaaa = await asyncio.gather(
        resolver.query(domain, "MX"), resolver.query(domain, "A"), resolver.query(domain, "AAAA"))
    records = sorted(mx_answer.mx(), key=lambda m: (m.preference, m.exchange))
    null_mx = any(m.exchange == "" for m in records)
    targets = [m for m in records if m.exchange][:MAX_MX_HOSTS]
    answers = await asyncio.gather(*(
        resolver.query(m.exchange, rdtype) for m in targets for rdtype in ("A", "AAAA")))
    hosts = []
    for i, m in enumerate(targets):
        a, aaaa = answers[2 * i], answers[2 * i + 1]
        hosts.append(MXHost(m.preference, m.exchange, a.addresses() + aaaa.addresses(), _status(a, aaaa)))
    implicit = () if records else own_a.addresses() + own_aaaa.addresses()
    return MXReport(tuple(hosts), null_mx, implicit, temperror=mx_answer.failed)


def _status(a: Answer, aaaa: Answer) -> str:
    if a.addresses() or aaaa.addresses():
        return "ok"
    if a.failed or aaaa.failed:
        return "temperror"
    if a.nxdomain:
        return "nxdomain"
    return "nodata"


def check_mx(report: MXReport, domain: str, *, no_mail: bool = False) -> list[Finding]:
    """Findings for the MX set-up of ``domain``."""
    findings: list[Finding] = []
    if report.temperror:
        findings.append(Finding(
            "mx-temperror", WARNING, "The MX records of the domain could not be looked up (DNS error).",
            "Check that the domain's name servers answer, then run the audit again.", "mx"))
        return findings
    if report.null_mx:
        if report.hosts:
            findings.append(Finding(
                "null-mx", CRITICAL,
                "The domain publishes a null MX ('0 .', meaning 'accepts no mail') next to real MX hosts; senders treat this as broken.",
                "Either delete the '0 .' MX (the domain receives mail) or delete every other MX (it does not), RFC 7505 section 3.",
                "mx", ", ".join(h.host for h in report.hosts)))
        elif not no_mail:
            findings.append(Finding(
                "null-mx", INFO,
                "The domain has a null MX (RFC 7505): it says it accepts no mail at all, so replies and bounces to its addresses fail.",
                "Keep it if the domain only sends (notifications); publish real MX hosts if people reply to these addresses.",
                "mx"))
        return findings
    if not report.hosts:
        if no_mail:
            findings.append(Finding(
                "mx-missing", WARNING,
                "The domain has no MX; senders fall back to its web server address and queue mail for days instead of failing fast.",
                "Publish a null MX (MX 0 .) to say the domain accepts no mail (RFC 7505).", "mx"))
        else:
            where = (" (senders will try the web server at " + ", ".join(report.implicit_addresses[:3]) + ")"
                     if report.implicit_addresses else "")
            findings.append(Finding(
                "mx-missing", WARNING,
                f"The domain has no MX record, so it cannot receive mail properly{where}.",
                "Publish MX records for the servers that receive its mail, or a null MX (MX 0 .) if it receives none.",
                "mx"))
        return findings
    dead = [h for h in report.hosts if h.status in ("nxdomain", "nodata")]
    if dead:
        all_dead = len(dead) == len(report.hosts)
        findings.append(Finding(
            "mx-unresolvable", CRITICAL if all_dead else WARNING,
            ("No MX host of the domain has an address, so nobody can deliver mail to it."
             if all_dead else "Some MX hosts have no address; senders waste time on them before trying the others."),
            "Fix or remove these MX records: " + ", ".join(h.host for h in dead) + ".",
            "mx", "; ".join(f"{h.host}: {h.status}" for h in dead)))
    if no_mail:
        findings.append(Finding(
            "mx-not-null", WARNING,
            "The domain is said to send and receive no mail, yet it publishes MX hosts that accept mail for it.",
            "Replace the MX records with a null MX (MX 0 .), RFC 7505.", "mx"))
    return findings
