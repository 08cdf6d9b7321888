"""The exact records to publish, derived from what the audit found.

* SPF (RFC 7208): one record, ``-all`` at the end, no ``ptr`` (section 5.5),
  no terms pointing to names that do not exist (section 4.6.4 void lookups),
  no self-includes, no Internet-sized ranges; when over the 10-lookup limit,
  the cheapest static includes *of the domain's own* records are flattened into
  ``ip4:``/``ip6:`` ranges until the record fits.  A provider's include is never
  expanded: its ranges change without notice, and a copy would be a list the
  owner must maintain by hand.
* DMARC (RFC 9989 section 4.7): the record for the current roll-out stage, with
  the existing alignment and report tags kept, ``sp=none``/``pct`` dropped.
* DKIM (RFC 6376 section 3.6.1, RFC 8301): a 2048-bit key under a new selector
  when a key is missing, revoked or weak; the same record without ``t=y``.
* Domains that send no mail (``--no-mail``): ``v=spf1 -all``, ``p=reject``,
  a null MX (RFC 7505) and a revoked wildcard DKIM key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailwarden.audit.results import DKIMKeyReport, Finding, MXReport, RecommendedRecord
from mailwarden.audit.spf import IPV4_CRITICAL, OWN_IPV4_WARN, records_by_domain

if TYPE_CHECKING:
    from mailwarden.audit.dmarc import DMARCData
    from mailwarden.audit.providers import Provider
    from mailwarden.spf.results import PolicyAnalysis

LOOKUP_LIMIT = 10
#: A flattened include must not need more than this many ranges (it would be unreadable).
MAX_FLATTEN_TERMS = 40
#: One TXT character-string holds 255 octets; longer records are split (RFC 7208 section 3.3).
TXT_STRING = 255


def _cost(domain: str, texts: dict[str, str], seen: frozenset[str] = frozenset()) -> tuple[int, bool, list[str]]:
    """(lookups, static?, ranges) below an include target: static = only ip4/ip6/include/all, no macros."""
    from mailwarden.spf.record import parse_record

    text = texts.get(domain.lower())
    if text is None or domain in seen or len(seen) > 20:
        return 0, False, []
    seen = seen | {domain.lower()}
    rec = parse_record(text)
    lookups, static, ranges = 0, rec.redirect is None, []
    for m in rec.mechanisms:
        if m.kind in ("ip4", "ip6"):
            if m.qualifier == "+":
                ranges.append(m.text.lstrip("+"))
        elif m.kind == "all":
            continue
        elif m.kind == "include" and m.domain is not None and m.domain.literal:
            sub, sub_static, sub_ranges = _cost(m.domain.literal, texts, seen)
            lookups += 1 + sub
            static = static and sub_static
            ranges += sub_ranges
        else:
            lookups += 1 if m.counts_lookup else 0
            static = False
    if rec.redirect is not None:
        lookups += 1
    return lookups, static, ranges


def repair_spf_text(text: str) -> str:
    """Undo the common paste errors: ``include: x`` (space after the colon), double spaces, a wrong case."""
    tokens = text.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.endswith((":", "=")) and i + 1 < len(tokens):
            tok += tokens[i + 1]
            i += 1
        out.append(tok)
        i += 1
    if out and out[0].lower() == "v=spf1":
        out[0] = "v=spf1"
    return " ".join(out)


def corrected_spf(analysis: PolicyAnalysis, domain: str, *, void_hosts: frozenset[str], provider: Provider | None,
                  mx: MXReport) -> tuple[str, str]:
    """(record, why) for the SPF record the domain should publish."""
    from mailwarden.spf.record import parse_record

    notes: list[str] = []
    sources: list[str]
    if analysis.status == "none":
        terms = []
        if mx.hosts:
            terms.append("mx")
        if provider is not None and provider.spf_include:
            terms.append(f"include:{provider.spf_include}")
        notes.append("a starting point: add the include of every service that sends as the domain")
        return "v=spf1 " + " ".join([*terms, "-all"]), "; ".join(notes)
    if analysis.status == "multiple":
        sources = [r.record for r in analysis.records if r.depth == 0 and r.record] or []
        if not sources:
            sources = [t for t in (analysis.problem or "").split(" | ") if t.startswith("v=spf1")]
        notes.append("the records merged into one")
    else:
        sources = [analysis.record or "v=spf1"]
    terms: list[str] = []
    for src in sources:
        rec = parse_record(src)
        if not rec.ok:
            fixed = repair_spf_text(src)
            rec = parse_record(fixed)
            if rec.ok:
                notes.append("the syntax error repaired")
            else:
                # keep only the terms that parse on their own
                good = [t for t in fixed.split()[1:] if parse_record("v=spf1 " + t).ok]
                rec = parse_record("v=spf1 " + " ".join(good))
                notes.append("the terms that do not parse removed")
        for m in rec.mechanisms:
            term = m.text[1:] if m.text.startswith("+") else m.text
            target = m.domain.literal.lower() if m.domain is not None and m.domain.literal else None
            if m.kind == "all":
                continue
            if m.kind == "ptr":
                notes.append("'ptr' removed (list your servers' addresses instead)")
                continue
            if m.kind == "include" and target == domain:
                notes.append(f"the looping include:{target} removed")
                continue
            if target and target in void_hosts:
                notes.append(f"{term} removed (the name does not exist)")
                continue
            if m.kind == "ip4" and ((1 << (32 - m.prefix)) > IPV4_CRITICAL or (1 << (32 - m.prefix)) > OWN_IPV4_WARN):
                notes.append(f"{term} removed (far too wide: list your real servers)")
                continue
            if m.kind in ("a", "mx") and m.cidr4 < 16:
                term = m.kind + (":" + target if target else "")
                notes.append(f"the prefix length of {m.text} removed")
            if term not in terms:
                terms.append(term)
        for mod in rec.modifiers:
            if mod.name == "redirect" and rec.all_mechanism is None and mod.text not in terms:
                terms.append(mod.text)
    if analysis.all_qualifier != "-":
        notes.append("ends with -all so that unlisted servers fail")
    terms = _flatten(terms, analysis, notes, domain)
    has_redirect = any(t.startswith("redirect=") for t in terms)
    record = "v=spf1 " + " ".join([*terms] + ([] if has_redirect else ["-all"]))
    if len(record) > TXT_STRING:
        notes.append(f"{len(record)} characters: publish it as several quoted strings of at most 255 characters in one TXT record")
    return record, "; ".join(dict.fromkeys(notes)) or "your current record"


def loop_fixes(analysis: PolicyAnalysis, domain: str) -> list[RecommendedRecord]:
    """For each include loop, the looping record (if it is the domain's own) without the include that points back."""
    from mailwarden.psl import psl_organizational_domain

    own_org = psl_organizational_domain(domain) or domain
    texts = records_by_domain(analysis)
    out: list[RecommendedRecord] = []
    for loop in analysis.loops:
        hops = [h.strip().lower() for h in loop.split("->")]
        if len(hops) < 2:
            continue
        culprit, back_to = hops[-2], hops[-1]
        text = texts.get(culprit)
        if text is None or (psl_organizational_domain(culprit) or culprit) != own_org:
            continue
        kept = [t for t in text.split()[1:] if t.lower().lstrip("+") not in (f"include:{back_to}", f"redirect={back_to}")]
        value = "v=spf1 " + " ".join(kept)
        if all(r.name != culprit for r in out):
            out.append(RecommendedRecord(culprit, "TXT", value, f"breaks the include loop ({loop})"))
    return out


def _flatten(terms: list[str], analysis: PolicyAnalysis, notes: list[str], domain: str) -> list[str]:
    """Replace the domain's own static includes by their ranges, cheapest loss first, until at most 10
    lookups remain; a provider's include (another organization's) is kept as it is."""
    from mailwarden.psl import psl_organizational_domain
    from mailwarden.spf.record import parse_record

    own = psl_organizational_domain(domain) or domain

    def is_own(term: str) -> bool:
        target = term.split(":", 1)[1].lower().rstrip(".") if ":" in term else ""
        return (psl_organizational_domain(target) or target) == own

    texts = records_by_domain(analysis)
    costs: dict[str, tuple[int, bool, list[str]]] = {}
    total = 0
    for t in terms:
        rec = parse_record("v=spf1 " + t)
        m = rec.mechanisms[0] if rec.mechanisms else None
        if m is not None and m.kind == "include" and m.domain is not None and m.domain.literal:
            costs[t] = _cost(m.domain.literal, texts)
            total += 1 + costs[t][0]
        elif (m is not None and m.counts_lookup) or t.startswith("redirect="):
            total += 1
    if total <= LOOKUP_LIMIT:
        return terms
    candidates = sorted((t for t, c in costs.items() if c[1] and 0 < len(c[2]) <= MAX_FLATTEN_TERMS and is_own(t)),
                        key=lambda t: (-(1 + costs[t][0]), len(costs[t][2])))
    out = list(terms)
    for t in candidates:
        if total <= LOOKUP_LIMIT:
            break
        i = out.index(t)
        ranges = [r for r in costs[t][2] if r not in out]
        out[i:i + 1] = ranges
        total -= 1 + costs[t][0]
        notes.append(f"your own {t} written out as its {len(costs[t][2])} addresses (saves {1 + costs[t][0]} "
                     "lookups)")
    if total > LOOKUP_LIMIT:
        notes.append(f"still {total} DNS lookups, over the limit of 10: remove the include of every service that "
                     "no longer sends your mail")
    return out


def recommended_records(
    domain: str,
    *,
    mx: MXReport,
    spf: PolicyAnalysis | None,
    void_hosts: frozenset[str],
    dkim: tuple[DKIMKeyReport, ...],
    dmarc: DMARCData | None,
    findings: list[Finding],
    provider: Provider | None,
    no_mail: bool,
    stage: str,
) -> tuple[RecommendedRecord, ...]:
    """The records to publish, in the order a domain owner should handle them."""
    ids = {f.id for f in findings}
    out: list[RecommendedRecord] = []
    if no_mail:
        out.append(RecommendedRecord(domain, "TXT", "v=spf1 -all", "no server may send as the domain"))
        out.append(RecommendedRecord(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s",
                                     "receivers reject every message that claims the domain"))
        out.append(RecommendedRecord(domain, "MX", "0 .", "null MX: the domain accepts no mail (RFC 7505)"))
        out.append(RecommendedRecord(f"*._domainkey.{domain}", "TXT", "v=DKIM1; p=",
                                     "no DKIM key is valid for the domain"))
        return tuple(out)
    spf_ids = {i for i in ids if i.startswith("spf-")} - {"spf-macros"}
    if spf is not None and spf_ids:
        value, why = corrected_spf(spf, domain, void_hosts=void_hosts, provider=provider, mx=mx)
        if value != spf.record:
            out.append(RecommendedRecord(domain, "TXT", value, "corrected SPF: " + why))
        out.extend(r for r in loop_fixes(spf, domain) if r.name != domain)
    if dmarc is not None:
        value, why = _dmarc_value(domain, dmarc, stage)
        current = dmarc.discovery.record.text if dmarc.discovery.record is not None else None
        if value != current:
            out.append(RecommendedRecord(f"_dmarc.{domain}", "TXT", value, why))
        policy_domain = dmarc.discovery.record_domain or domain
        for host, ok in dmarc.destinations:
            if not ok:
                out.append(RecommendedRecord(f"{policy_domain}._report._dmarc.{host}", "TXT", "v=DMARC1",
                                             f"to be published by the owner of {host} (report authorization, RFC 7489 section 7.1)"))
    out.extend(_dkim_records(domain, dkim, provider))
    if "mx-missing" in ids:
        out.append(RecommendedRecord(domain, "MX", "0 .",
                                     "only if the domain receives no mail: null MX (RFC 7505); otherwise MX records for your mail servers"))
    return tuple(out)


def _dmarc_value(domain: str, dmarc: DMARCData, stage: str) -> tuple[str, str]:
    rec = dmarc.discovery.record
    inherited = rec is not None and dmarc.discovery.record_domain not in (None, domain)
    unauthorized = {h for h, ok in dmarc.destinations if not ok}
    rua: list[str] = []
    if rec is not None and not inherited:
        for uri in rec.rua:
            host = uri.split("@", 1)[-1].split("!", 1)[0].lower()
            if host not in unauthorized:
                rua.append(uri)
    if not rua:
        rua = [f"mailto:dmarc-reports@{domain}"]
    policy = {"monitor": "none", "quarantine": "quarantine", "reject": "reject"}[stage]
    tags = [f"v=DMARC1; p={policy}"]
    if rec is not None and not inherited:
        if rec.sp in ("quarantine", "reject") and policy != "none":
            tags.append(f"sp={rec.sp}")
        if rec.has_tag("adkim"):
            tags.append(f"adkim={rec.adkim}")
        if rec.has_tag("aspf"):
            tags.append(f"aspf={rec.aspf}")
        if rec.has_tag("fo"):
            tags.append("fo=" + ":".join(rec.fo))
    tags.append("rua=" + ",".join(rua))
    if rec is not None and not inherited and rec.ruf:
        ruf = [u for u in rec.ruf if u.split("@", 1)[-1].split("!", 1)[0].lower() not in unauthorized]
        if ruf:
            tags.append("ruf=" + ",".join(ruf))
    why = {"monitor": "stage 1 (monitor): collect reports before enforcing",
           "quarantine": "stage 2 (quarantine): failing mail goes to spam",
           "reject": "stage 3 (reject): forged mail is refused"}[stage]
    return "; ".join(tags), why


def _dkim_records(domain: str, keys: tuple[DKIMKeyReport, ...], provider: Provider | None) -> list[RecommendedRecord]:
    out: list[RecommendedRecord] = []
    howto = f" ({provider.name}: {provider.dkim_howto})" if provider is not None else ""
    bad = [k for k in keys if (k.explicit and k.status in ("missing", "revoked", "invalid"))
           or (k.status == "ok" and k.key_type == "rsa" and (k.bits or 0) < 2048)]
    usable = [k for k in keys if k.status == "ok"]
    if bad or not usable:
        out.append(RecommendedRecord(
            f"mw1._domainkey.{domain}", "TXT", "v=DKIM1; k=rsa; p=<2048-bit public key>",
            "a new 2048-bit key: `mailwarden dkim keygen --domain " + domain + " --selector mw1` prints the exact record; "
            "switch signing to selector mw1" + howto))
    for k in keys:
        if k.status == "ok" and k.testing and k.record:
            parts = [p.strip() for p in k.record.split(";") if p.strip() and p.strip().replace(" ", "") not in ("t=y",)]
            out.append(RecommendedRecord(k.name, "TXT", "; ".join(parts), "the same key without t=y"))
    return out
