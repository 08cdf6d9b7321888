"""DKIM checks: every selector probed in parallel, then key size, type, testing and revocation.

Key records live at ``<selector>._domainkey.<domain>`` (RFC 6376 section
3.6.2.1) and are parsed by the DKIM engine's
:func:`mailwarden.dkim.keys.parse_key_record` (RFC 6376 section 3.6.1,
RFC 8463 section 4.2).  RFC 8301 section 3.2: keys under 1024 bits must not
be accepted, and signers should use at least 2048 bits; ``t=y`` (RFC 6376
section 3.6.1) asks verifiers to treat failures as unsigned; an empty ``p=``
is a revoked key.
"""

from __future__ import annotations

import asyncio

from mailwarden.audit.providers import identify
from mailwarden.audit.results import CRITICAL, INFO, WARNING, DKIMKeyReport, Finding
from mailwarden.dns.base import Answer, Resolver, valid_query_name

#: At most this many selectors are probed in one audit.
MAX_SELECTORS = 64
STRONG_RSA_BITS = 2048
MIN_RSA_BITS = 1024


async def gather_dkim(resolver: Resolver, domain: str, selectors: list[tuple[str, bool]]) -> tuple[DKIMKeyReport, ...]:
    """Ask every ``<selector>._domainkey.<domain>`` TXT at once and parse what comes back."""
    wanted = [(s, explicit) for s, explicit in selectors if valid_query_name(f"{s}._domainkey.{domain}")]
    wanted = wanted[:MAX_SELECTORS]
    names = [f"{s}._domainkey.{domain}" for s, _ in wanted]
    answers = await asyncio.gather(*(resolver.query(n, "TXT") for n in names))
    return tuple(_report(s, explicit, name, ans) for (s, explicit), name, ans in zip(wanted, names, answers, strict=True))


def _report(selector: str, explicit: bool, name: str, answer: Answer) -> DKIMKeyReport:
    from mailwarden.dkim.keys import parse_key_record
    from mailwarden.errors import RecordSyntaxError

    provider = None
    if answer.cname_chain:
        p = identify(answer.cname_chain[-1][1])
        provider = p.name if p else None
    if answer.failed:
        return DKIMKeyReport(selector, name, "temperror", explicit, provider=provider,
                             error=f"DNS {answer.rcode.value}")
    texts = [t for t in answer.texts() if "p=" in t or t.lstrip().startswith("v=DKIM1")]
    if not texts:
        return DKIMKeyReport(selector, name, "missing", explicit, provider=provider,
                             error="no such name" if answer.nxdomain else "no DKIM key record")
    errors = []
    for text in texts:
        try:
            key = parse_key_record(text)
        except RecordSyntaxError as exc:
            errors.append(str(exc))
            continue
        status = "revoked" if key.revoked else "ok"
        return DKIMKeyReport(selector, name, status, explicit, key_type=key.key_type, bits=key.bits,
                             testing=key.testing, provider=provider, record=text,
                             error=None if key.for_email else "s= excludes email")
    return DKIMKeyReport(selector, name, "invalid", explicit, provider=provider, record=texts[0][:300],
                         error=errors[0])


def check_dkim(keys: tuple[DKIMKeyReport, ...], domain: str, *, no_mail: bool = False) -> list[Finding]:
    """Findings for the DKIM keys found (explicit selectors are always reported; probed ones only when found)."""
    findings: list[Finding] = []
    usable = [k for k in keys if k.status == "ok" and not _too_short(k)]
    explicit_missing = [k for k in keys if k.explicit and k.status == "missing"]
    found_any = [k for k in keys if k.status != "missing"]
    if no_mail:
        live = [k for k in keys if k.status == "ok"]
        if live:
            findings.append(Finding(
                "dkim-key-published", WARNING,
                "The domain sends no mail, yet it publishes DKIM keys that someone could still sign with.",
                "Revoke them: publish 'v=DKIM1; p=' at " + ", ".join(k.name for k in live) + ".", "dkim"))
        return findings
    if explicit_missing:
        findings.append(Finding(
            "dkim-missing", WARNING if usable else CRITICAL,
            ("No DKIM key is published for selector " if len(explicit_missing) == 1 else "No DKIM key is published for selectors ")
            + ", ".join(k.selector for k in explicit_missing)
            + (", so mail signed with it fails DKIM." if len(explicit_missing) == 1 else ", so mail signed with them fails DKIM."),
            "Publish the public key your mail service gives you as a TXT record at "
            + ", ".join(k.name for k in explicit_missing) + " (or fix the selector name).",
            "dkim", "; ".join(f"{k.name}: {k.error}" for k in explicit_missing)))
    elif not found_any:
        findings.append(Finding(
            "dkim-missing", CRITICAL,
            "No DKIM key was found at any common selector, so the domain's mail is probably not DKIM-signed.",
            "Turn on DKIM signing at every service that sends as the domain and publish its key; "
            "run the audit again with --selector NAME (the s= of a DKIM-Signature in a message you sent).",
            "dkim", f"{len(keys)} selectors probed"))
    for k in keys:
        if k.status == "revoked":
            sev = (WARNING if usable else CRITICAL) if k.explicit else INFO
            findings.append(Finding(
                "dkim-revoked", sev,
                f"The DKIM key of selector {k.selector} is revoked (empty p=), so mail signed with it fails DKIM.",
                f"If something still signs with '{k.selector}', publish a new key under a new selector and switch to it; otherwise stop using this selector.",
                "dkim", k.record))
        elif k.status == "invalid":
            findings.append(Finding(
                "dkim-invalid", CRITICAL if k.explicit or not usable else WARNING,
                f"The DKIM key record of selector {k.selector} cannot be used: {k.error}.",
                f"Republish the record at {k.name} exactly as your mail service shows it (v=DKIM1; k=rsa; p=...).",
                "dkim", k.record))
        elif k.status == "temperror" and k.explicit:
            findings.append(Finding(
                "dkim-temperror", WARNING, f"The DKIM key of selector {k.selector} could not be looked up (DNS error).",
                "Check the domain's name servers and run the audit again.", "dkim", k.error))
        if k.status != "ok":
            continue
        if _too_short(k):
            findings.append(Finding(
                "dkim-key-too-short", CRITICAL,
                f"The DKIM key of selector {k.selector} has only {k.bits} bits; receivers ignore keys under 1024 bits (RFC 8301), so DKIM fails.",
                "Generate a 2048-bit RSA key (mailwarden dkim keygen), publish it under a new selector and switch signing to it.",
                "dkim", f"{k.key_type}-{k.bits}"))
        elif k.key_type == "rsa" and k.bits is not None and k.bits < STRONG_RSA_BITS:
            findings.append(Finding(
                "dkim-weak-key", WARNING,
                f"The DKIM key of selector {k.selector} is RSA-{k.bits}; 1024-bit keys can be factored by well-funded attackers, 2048 bits is the norm (RFC 8301).",
                "Generate a 2048-bit RSA key, publish it under a new selector, switch signing to it, then revoke the old one.",
                "dkim", f"{k.key_type}-{k.bits}"))
        if k.testing:
            findings.append(Finding(
                "dkim-testing", WARNING,
                f"The DKIM key of selector {k.selector} still carries t=y (testing mode), so receivers may ignore DKIM failures.",
                f"Remove 't=y' from the record at {k.name} once signing works.",
                "dkim", k.record))
        if k.error:
            findings.append(Finding(
                "dkim-not-for-email", WARNING,
                f"The DKIM key of selector {k.selector} is restricted to other services (s=), so email signatures fail.",
                f"Remove the s= tag from the record at {k.name}.", "dkim", k.record))
    if usable and all(k.key_type == "ed25519" for k in usable):
        findings.append(Finding(
            "dkim-ed25519-only", INFO,
            "Every DKIM key is Ed25519; many receivers do not verify Ed25519 yet (RFC 8463), so add an RSA signature.",
            "Sign with an RSA-2048 key under a second selector as well.", "dkim"))
    return findings


def _too_short(k: DKIMKeyReport) -> bool:
    return k.key_type == "rsa" and k.bits is not None and k.bits < MIN_RSA_BITS
