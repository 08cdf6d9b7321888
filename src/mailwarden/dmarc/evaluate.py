"""DMARC evaluation: identifier alignment and the policy that applies
(RFC 9989 sections 4.4, 4.7 and 5.3; RFC 7489 sections 3.1 and 6.6).

* SPF aligns when SPF passed for the RFC 5321.MailFrom domain (or HELO for a
  null sender) and that domain equals the From domain (``aspf=s``) or shares
  its Organizational Domain (``aspf=r``).  Same for every DKIM signature
  that passed, with ``adkim``.
* ``pass`` needs one aligned pass; otherwise ``fail`` when a policy record
  exists; ``none`` without one; ``temperror``/``permerror`` from discovery.
* The requested policy is ``p`` at the From domain, else ``np`` for a
  non-existent subdomain, else ``sp``, else ``p`` (RFC 9989 section 4.7).
  ``t=y`` (RFC 9989) and ``pct`` sampling (RFC 7489 section 6.6.4) lower it
  by one step: reject to quarantine, quarantine to none.
* A message with several From domains is evaluated per domain; the worst
  result (then the strictest policy) is the message's result.

Inputs are duck-typed so that any SPF/DKIM engine fits: ``spf_result`` has
``result`` and ``domain`` (or is such a mapping, or ``None``); each DKIM
result has ``domain`` and ``result``, and optionally ``unsigned_fields``: a
signature that does not cover every From instance (RFC 6376 section 8.15)
does not vouch for the From the reader sees and never makes DMARC pass.
An ambiguous From (two readings, :func:`mailwarden.message.addresses.parse_from`)
never passes either.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mailwarden.dmarc.alignment import Aligner
from mailwarden.dmarc.discovery import LookupCache, PolicyDiscovery, discover_policy, normalize_domain
from mailwarden.dmarc.record import MODES

if TYPE_CHECKING:
    from mailwarden.cache import Cache
    from mailwarden.dns.base import Resolver
    from mailwarden.message.model import Message
    from mailwarden.psl import SuffixList

#: Worst first: the order in which one verdict stands for several From domains.
SEVERITY = ("fail", "temperror", "permerror", "none", "pass")
_STRICTNESS = {"reject": 3, "quarantine": 2, "none": 1, None: 0}
_DOWNGRADE = {"reject": "quarantine", "quarantine": "none", "none": "none"}
#: A message naming more From domains than this is not evaluated (permerror): no pass, bounded DNS work.
MAX_FROM_DOMAINS = 20


@dataclass(frozen=True)
class Alignment:
    spf: bool
    dkim: bool


@dataclass(frozen=True)
class DomainResult:
    """DMARC for one From domain."""

    from_domain: str | None
    result: str  # pass, fail, none, temperror, permerror
    organizational_domain: str | None
    policy: str | None  # what the domain owner asks for (p/sp/np)
    applied_policy: str | None  # after t=y / pct
    disposition: str  # what to do with this message: none, quarantine, reject
    alignment: Alignment
    aligned_dkim_domain: str | None
    spf_domain: str | None
    record: str | None
    record_domain: str | None
    policy_source: str | None  # "p", "sp" or "np"
    reason: str
    discovery: PolicyDiscovery | None


@dataclass(frozen=True)
class DMARCResult:
    """The DMARC verdict for a message; top-level fields are those of the worst From domain."""

    result: str
    from_domain: str | None
    from_domains: tuple[str, ...]
    organizational_domain: str | None
    policy: str | None
    applied_policy: str | None
    disposition: str
    alignment: Alignment
    aligned_dkim_domain: str | None
    record: str | None
    record_domain: str | None
    reason: str
    mode: str
    domains: tuple[DomainResult, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of SPEC section 5 (``dmarc`` object), with the per-domain details."""
        return {
            "result": self.result,
            "from_domain": self.from_domain,
            "from_domains": list(self.from_domains),
            "organizational_domain": self.organizational_domain,
            "policy": self.policy,
            "applied_policy": self.applied_policy,
            "disposition": self.disposition,
            "alignment": {"spf": self.alignment.spf, "dkim": self.alignment.dkim},
            "aligned_dkim_domain": self.aligned_dkim_domain,
            "record": self.record,
            "record_domain": self.record_domain,
            "reason": self.reason,
            "mode": self.mode,
            "domains": [_domain_dict(d) for d in self.domains] if len(self.domains) > 1 else [],
        }


def _domain_dict(d: DomainResult) -> dict[str, Any]:
    return {
        "from_domain": d.from_domain, "result": d.result, "organizational_domain": d.organizational_domain,
        "policy": d.policy, "applied_policy": d.applied_policy, "disposition": d.disposition,
        "alignment": {"spf": d.alignment.spf, "dkim": d.alignment.dkim},
        "aligned_dkim_domain": d.aligned_dkim_domain, "record": d.record, "record_domain": d.record_domain,
        "reason": d.reason,
    }


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _lower(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def _from_domains(source: Message | str | Iterable[str] | None) -> tuple[list[str], bool, str | None]:
    """(From domains in order, whether some From mailbox had no domain, why the From is ambiguous).

    A message's From is read by the one From parser
    (:func:`mailwarden.message.addresses.parse_from`); when it is ambiguous,
    every domain another parser could read is evaluated too, so the strictest
    of their policies applies and none of them can pass.
    """
    if source is None:
        return [], False, None
    if isinstance(source, str):
        return [source], False, None
    field = getattr(source, "from_field", None)
    if field is not None:
        domains = list(field.domains)
        if field.ambiguity is not None:
            known = {normalize_domain(d) for d in domains}
            domains += [d for d in field.other_domains if normalize_domain(d) not in known]
        return domains, any(not a.domain for a in field.addresses), field.ambiguity
    return list(dict.fromkeys(d for d in source if d)), False, None


async def evaluate_dmarc(
    resolver: Resolver,
    message_or_from_domains: Message | str | Sequence[str] | None,
    spf_result: Any,
    dkim_results: Iterable[Any] | None,
    *,
    mode: str = "rfc9989",
    suffixes: SuffixList | None = None,
    sample: Callable[[], float] | None = None,
    cache: Cache | None = None,
) -> DMARCResult:
    """Evaluate DMARC for a message (or its From domains) given its SPF and DKIM results.

    ``sample()`` returns a number in [0, 100) for RFC 7489 ``pct`` sampling
    (default: random); it is never called in RFC 9989 mode, where ``pct`` is historic.
    ``cache``: the session's :class:`mailwarden.cache.Cache` for DMARC records and
    existence checks across messages.
    """
    if mode not in MODES:
        raise ValueError(f"unknown DMARC mode {mode!r} (expected {' or '.join(MODES)})")
    domains, domainless, ambiguity = _from_domains(message_or_from_domains)
    lookups = LookupCache(cache)
    dkim: list[tuple[str | None, str | None]] = []
    replayed: list[str] = []
    for s in dkim_results or ():
        d, word = _lower(_field(s, "domain")), _lower(_field(s, "result"))
        if word == "pass" and "from" in (_field(s, "unsigned_fields") or ()):
            # RFC 6376 section 8.15: it verifies, but not for the From the reader sees
            replayed.append(f"DKIM d={d} verifies but does not cover the displayed From (an extra unsigned "
                            "From field)")
            word = "fail"
        dkim.append((d, word))
    spf_domain = _lower(_field(spf_result, "domain"))
    spf_word = _lower(_field(spf_result, "result"))
    if not domains:
        why = "no From domain" if not domainless else "Unable to extract From domain: no domain in From"
        single = DomainResult(None, "permerror", None, None, None, "none", Alignment(False, False), None,
                              spf_domain, None, None, None, why, None)
        return _combine([single], (), mode)
    if len(domains) > MAX_FROM_DOMAINS:
        why = (f"{len(domains)} From domains, more than {MAX_FROM_DOMAINS}: not evaluated"
               + (f" (ambiguous From: {ambiguity})" if ambiguity else ""))
        single = DomainResult(None, "permerror", None, None, None, "none", Alignment(False, False), None,
                              spf_domain, None, None, None, why, None)
        return _combine([single], tuple(domains), mode)
    aligner = Aligner(resolver, mode, lookups=lookups, suffixes=suffixes)
    results = [
        await _evaluate_one(resolver, d, spf_word, spf_domain, dkim, mode, suffixes, sample, lookups, aligner)
        for d in domains
    ]
    if ambiguity is not None:
        results = [_no_pass(r, f"ambiguous From ({ambiguity}): no domain can pass") for r in results]
    if replayed:
        note = "; ".join(dict.fromkeys(replayed))
        results = [r if r.result == "pass" else replace(r, reason=f"{r.reason}; {note}") for r in results]
    return _combine(results, tuple(domains), mode)


def _no_pass(r: DomainResult, why: str) -> DomainResult:
    """A pass withdrawn: the message's author cannot be told (SPEC section 6, "Adversarial input")."""
    if r.result != "pass":
        return replace(r, reason=f"{why}; {r.reason}")
    return replace(r, result="fail", reason=f"{why}; {r.reason}", alignment=Alignment(False, False),
                   aligned_dkim_domain=None, disposition=r.applied_policy or "none")


def _combine(results: list[DomainResult], domains: tuple[str, ...], mode: str) -> DMARCResult:
    worst = min(results, key=lambda r: (SEVERITY.index(r.result), -_STRICTNESS[r.policy]))
    return DMARCResult(
        result=worst.result,
        from_domain=worst.from_domain,
        from_domains=domains,
        organizational_domain=worst.organizational_domain,
        policy=worst.policy,
        applied_policy=worst.applied_policy,
        disposition=worst.disposition,
        alignment=worst.alignment,
        aligned_dkim_domain=worst.aligned_dkim_domain,
        record=worst.record,
        record_domain=worst.record_domain,
        reason=worst.reason,
        mode=mode,
        domains=tuple(results),
    )


async def _evaluate_one(resolver: Resolver, raw_domain: str, spf_word: str | None, spf_domain: str | None,
                        dkim: list[tuple[str | None, str | None]], mode: str, suffixes: SuffixList | None,
                        sample: Callable[[], float] | None, cache: LookupCache,
                        aligner: Aligner) -> DomainResult:
    domain = normalize_domain(raw_domain)
    if domain is None:
        return DomainResult(raw_domain, "permerror", None, None, None, "none", Alignment(False, False), None,
                            spf_domain, None, None, None, f"From domain {raw_domain[:80]!r} is not a valid domain",
                            None)
    discovery = await discover_policy(resolver, domain, mode, suffixes=suffixes, cache=cache)
    org = discovery.organizational_domain or domain
    record = discovery.record
    adkim = record.adkim if record is not None else "r"
    aspf = record.aspf if record is not None else "r"

    aligner.know(domain, org)
    spf_aligned = spf_word == "pass" and await aligner.aligned(spf_domain, domain, strict=aspf == "s")
    aligned_dkim: str | None = None
    for d, word in dkim:
        if word == "pass" and await aligner.aligned(d, domain, strict=adkim == "s"):
            aligned_dkim = d
            break
    alignment = Alignment(spf_aligned, aligned_dkim is not None)
    record_text = discovery.record_text

    def result(word: str, reason: str, policy: str | None = None, applied: str | None = None,
               source: str | None = None) -> DomainResult:
        disposition = applied if word == "fail" and applied else "none"
        return DomainResult(domain, word, org, policy, applied, disposition, alignment, aligned_dkim, spf_domain,
                            record_text, discovery.record_domain, source, reason, discovery)

    if discovery.status == "temperror":
        return result("temperror", "; ".join(discovery.errors) or "DNS failure")
    if discovery.status == "permerror":
        return result("permerror", "; ".join(discovery.errors) or "invalid DMARC record")
    if record is None:
        return result("none", "no DMARC record")
    base = record.effective_p(mode)
    if base is None:
        why = "invalid p= and no valid rua=" if record.p_invalid else "no p= and no valid rua="
        return result("none", f"DMARC not applied: {why} ({record.text[:120]})")

    policy, source = base, "p"
    if not discovery.at_domain:
        if record.np is not None and await cache.domain_exists(resolver, domain) is False:
            policy, source = record.np, "np"
        elif record.sp is not None:
            policy, source = record.sp, "sp"
    applied = policy
    if mode == "rfc9989" and record.t:
        applied = _DOWNGRADE[policy]
    elif mode == "rfc7489" and record.pct < 100:
        draw = sample() if sample is not None else random.uniform(0, 100)
        if draw >= record.pct:
            applied = _DOWNGRADE[policy]
    where = {"domain": "Used From Domain Record", "tree-walk": "Used Tree Walk",
             "organizational-domain": "Used Org Domain Record"}.get(discovery.via or "", "")
    if alignment.spf or alignment.dkim:
        how = "aligned DKIM" if alignment.dkim else "aligned SPF"
        return result("pass", f"{how} pass; {where}", policy, applied, source)
    return result("fail", f"no aligned SPF or DKIM pass; {where}", policy, applied, source)


def domain_result_for(result: DMARCResult | None, from_domain: str | None) -> DomainResult | None:
    """The per-domain DMARC result of one From domain (after IDNA normalization), or None."""
    if result is None or not from_domain:
        return None
    wanted = normalize_domain(from_domain)
    return next((d for d in result.domains if d.from_domain and normalize_domain(d.from_domain) == wanted), None)
