"""``audit_domain``: the whole domain audit of SPEC section 7 in one call.

Every DNS question of one audit runs concurrently: MX (and the exchanges'
addresses), the SPF walk, every DKIM selector and the DMARC tree walk are
started together with :func:`asyncio.gather`, and a shared, de-duplicating
resolver wrapper makes a name asked by two checks (an MX host named in SPF
``mx``, ``_dmarc`` read raw and by the tree walk) cost one question.
The optional catch-all probe (RFC 5321 dialogue, never DATA) runs once the MX
is known.  Services never print: the result is an :class:`AuditReport`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from mailwarden.audit import catchall as catchall_mod
from mailwarden.audit.dkim import check_dkim, gather_dkim
from mailwarden.audit.dmarc import check_dmarc, dmarc_report, gather_dmarc
from mailwarden.audit.grade import grade
from mailwarden.audit.mx import check_mx, gather_mx
from mailwarden.audit.providers import Provider, provider_by_name, selectors_to_probe
from mailwarden.audit.records import recommended_records
from mailwarden.audit.results import (
    INFO,
    SEVERITY_RANK,
    WARNING,
    AuditReport,
    DMARCReport,
    Finding,
    MXReport,
    SPFReport,
)
from mailwarden.audit.rollout import current_stage, plan
from mailwarden.audit.spf import check_spf, spf_report
from mailwarden.dns.base import Answer, normalize_name, valid_query_name
from mailwarden.errors import DNSUnavailableError, InputError

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver

AREA_ORDER = {"spf": 0, "dmarc": 1, "dkim": 2, "mx": 3, "smtp": 4}


class SharedResolver:
    """Wraps a resolver for one audit: concurrent askers of the same question share one query."""

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner
        self._answers: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        self.questions = 0
        #: Questions that got no answer (SERVFAIL or TIMEOUT), in the order asked.
        self.failed: dict[tuple[str, str], str] = {}

    async def query(self, name: str, rdtype: str) -> Answer:
        key = (normalize_name(name), rdtype.upper())
        fut = self._answers.get(key)
        if fut is None:
            self.questions += 1
            fut = asyncio.ensure_future(self.inner.query(name, rdtype))
            self._answers[key] = fut
        answer = await asyncio.shield(fut)
        if answer.failed:
            self.failed.setdefault(key, answer.rcode.value)
        return answer

    async def aclose(self) -> None:
        """The inner resolver belongs to the caller."""


def normalize_audit_domain(domain: str) -> str:
    """The domain as a DNS name; :class:`InputError` for anything that is not one."""
    name = normalize_name(domain or "")
    if not valid_query_name(name) or "." not in name or not all(
            ch.isalnum() or ch in "-._" for ch in name):
        raise InputError(f"{domain[:80]!r} is not a domain name (expected something like example.com)")
    return name


async def audit_domain(
    resolver: Resolver,
    domain: str,
    *,
    selectors: tuple[str, ...] = (),
    probe_catch_all: bool = False,
    smtp_port: int = 25,
    provider: str | None = None,
    no_mail: bool = False,
    smtp_timeout: float = 8.0,
    helo: str = "mailwarden.localhost",
) -> AuditReport:
    """Audit ``domain``'s SPF, DKIM, DMARC, MX (and optionally catch-all) set-up (SPEC section 7)."""
    from mailwarden.spf import analyze_policy

    started = time.monotonic()
    domain = normalize_audit_domain(domain)
    prov: Provider | None = None
    if provider:
        prov = provider_by_name(provider)
        if prov is None:
            from mailwarden.audit.providers import PROVIDERS

            raise InputError(f"unknown provider {provider[:40]!r} (known: {', '.join(p.key for p in PROVIDERS)})")
    for s in selectors:
        if not s or not valid_query_name(f"{s}._domainkey.{domain}") or not all(ch.isalnum() or ch in "-._" for ch in s):
            raise InputError(f"{s[:60]!r} is not a valid DKIM selector")
    shared = SharedResolver(resolver)
    mx, analysis, keys, dmarc_data = await asyncio.gather(
        gather_mx(shared, domain),
        analyze_policy(shared, domain),
        gather_dkim(shared, domain, selectors_to_probe(tuple(selectors), prov)),
        gather_dmarc(shared, domain),
    )
    await _require_existing_domain(shared, resolver, domain)
    void_hosts = await _void_hosts(shared, analysis)
    _require_answers(shared, domain, keys, dmarc_data)
    findings: list[Finding] = []
    findings += check_spf(analysis, domain, no_mail=no_mail)
    findings += check_dmarc(dmarc_data, domain, no_mail=no_mail)
    findings += check_dkim(keys, domain, no_mail=no_mail)
    findings += check_mx(mx, domain, no_mail=no_mail)
    probe = None
    notes: list[str] = []
    if probe_catch_all:
        probe, probe_findings, note = await _probe(mx, domain, smtp_port, smtp_timeout, helo)
        findings += probe_findings
        if note:
            notes.append(note)
    findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], AREA_ORDER.get(f.area, 9)))
    dkim_usable = any(k.status == "ok" and (k.key_type != "rsa" or (k.bits or 0) >= 1024) for k in keys)
    letter, reason = grade(findings, dkim_usable=dkim_usable)
    rec = dmarc_data.discovery.record
    policy = rec.effective_p() if rec is not None else None
    stage = current_stage(policy)
    spf_rep = spf_report(analysis, domain, _spf_texts(analysis))
    records = recommended_records(
        domain, mx=mx, spf=analysis, void_hosts=void_hosts, dkim=keys, dmarc=dmarc_data, findings=findings,
        provider=prov, no_mail=no_mail, stage=stage)
    steps = plan(domain, findings=findings, senders=spf_rep.senders, policy=policy, stage=stage,
                 dkim_usable=dkim_usable, no_mail=no_mail)
    return AuditReport(
        domain=domain, grade=letter, grade_reason=reason, findings=tuple(findings),
        recommended_records=records, rollout=steps, mx=mx, spf=spf_rep, dkim=keys,
        dmarc=dmarc_report(dmarc_data), catch_all=probe, no_mail=no_mail,
        dns_questions=shared.questions, elapsed=time.monotonic() - started, notes=tuple(notes),
    )


async def _require_existing_domain(shared: SharedResolver, resolver: Resolver, domain: str) -> None:
    """NXDOMAIN for the audited domain itself is a spelling mistake, not a grade F (SPEC section 7).

    A live resolver that answers NXDOMAIN even for ``arpa``, a top-level domain
    that always exists (RFC 3172), is broken or a captive portal: then nothing can
    be concluded (exit 3), not "does not exist".
    A snapshot file is the whole truth, so it is not second-guessed.
    """
    from mailwarden.dns.snapshot import SnapshotResolver

    answers = await asyncio.gather(*(shared.query(domain, t) for t in ("MX", "TXT", "A", "AAAA")))
    if not all(a.nxdomain for a in answers):
        return
    if not isinstance(resolver, SnapshotResolver):
        probe = await resolver.query("arpa", "NS")
        if not probe.ok or not probe.records:
            raise DNSUnavailableError(
                f"the DNS resolver says {domain} does not exist, but it also denies the top-level domain "
                "arpa that always exists, so the resolver is broken or a captive portal (hotel or airport "
                "Wi-Fi); nothing was graded - retry on another network or with --nameserver")
    raise InputError(f"{domain} does not exist \u2014 check the spelling (DNS answered NXDOMAIN)")


def _require_answers(shared: SharedResolver, domain: str, keys, dmarc_data) -> None:
    """No grade and no records built on a lookup that failed (SPEC sections 3 and 7).

    Two kinds of failure do not change the grade and are let pass: other DKIM
    selectors when a key was found, and ``_dmarc`` names above the one whose
    record applies (the RFC 9989 tree walk asks them, the policy found below wins).
    """
    failed = dict(shared.failed)
    if any(k.status == "ok" for k in keys):
        failed = {q: r for q, r in failed.items() if "._domainkey." not in q[0]}
    found = dmarc_data.discovery.record_domain if dmarc_data.discovery.status == "found" else None
    if found:
        failed = {q: r for q, r in failed.items()
                  if not (q[0].startswith("_dmarc.") and found.endswith("." + q[0][len("_dmarc."):]))}
    if not failed:
        return
    names = [f"{name} {rdtype} ({rcode})" for (name, rdtype), rcode in failed.items()]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise DNSUnavailableError(
        f"DNS did not answer for {shown}, so {domain} cannot be graded and no records are recommended; "
        "retrying later may help")


def _spf_texts(analysis) -> tuple[str, ...]:
    if analysis.status == "multiple":
        return tuple(r.record for r in analysis.records if r.depth == 0 and r.record)
    return (analysis.record,) if analysis.record else ()


async def _void_hosts(resolver: SharedResolver, analysis) -> frozenset[str]:
    """Literal a:/mx:/include: targets of the top record that do not exist (answered from the shared cache)."""
    from mailwarden.spf.record import parse_record

    if not analysis.record:
        return frozenset()
    targets = []
    for m in parse_record(analysis.record).mechanisms:
        if m.kind in ("a", "mx", "include", "exists") and m.domain is not None and m.domain.literal:
            targets.append((m.domain.literal.lower(), m.kind))
    targets = targets[:20]
    kinds = {"a": ("A", "AAAA"), "mx": ("MX",), "include": ("TXT",), "exists": ("A",)}
    questions = [(name, t) for name, kind in targets for t in kinds[kind]]
    answers = await asyncio.gather(*(resolver.query(n, t) for n, t in questions))
    void: dict[str, bool] = {}
    for (name, _), ans in zip(questions, answers, strict=True):
        void[name] = void.get(name, True) and ans.void
    return frozenset(n for n, v in void.items() if v)


async def _probe(mx: MXReport, domain: str, port: int, timeout: float, helo: str):
    """Probe the most preferred MX host that has an address."""
    if mx.null_mx and not mx.hosts:
        return None, [], "catch-all probe skipped: the domain has a null MX (it accepts no mail)"
    target = next(((h.host, h.addresses[0]) for h in mx.hosts if h.addresses), None)
    if target is None and mx.implicit_addresses:
        target = (domain, mx.implicit_addresses[0])
    if target is None:
        return None, [], "catch-all probe skipped: no MX host has an address"
    host, address = target
    result = await catchall_mod.probe_catch_all(address, domain, host=host, port=port, timeout=timeout,
                                                deadline=max(timeout * 4, 10.0), helo=helo)
    findings = []
    if result.outcome == catchall_mod.CATCH_ALL:
        findings.append(Finding(
            "catch-all", WARNING,
            f"The mail server {host} accepts mail for any address at the domain, so spam to made-up addresses "
            "is accepted and bounces of forged mail come back to you (backscatter).",
            "Configure the mail server to reject unknown recipients at RCPT time (550 5.1.1), "
            "and keep only the aliases you really use.",
            "smtp", result.rcpt_reply))
    elif not result.conclusive:
        findings.append(Finding(
            "catch-all-inconclusive", INFO,
            f"The catch-all probe of {host} gave no answer: {result.detail}.",
            "Run the audit with --probe-catch-all again later (greylisting answers the first attempt with a temporary error).",
            "smtp", result.rcpt_reply))
    return result, findings, None


__all__ = ["AuditReport", "DMARCReport", "SPFReport", "SharedResolver", "audit_domain", "normalize_audit_domain"]
