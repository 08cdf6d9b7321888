"""The four buckets of "who sends mail as my domain" (SPEC section 12).

- ``authorized``: DMARC passed (an aligned DKIM signature or SPF domain, RFC 7489 section 3.1);
- ``forwarded``: not aligned, but the reporter says the mail was forwarded, sent
  through a mailing list or a trusted forwarder (RFC 7489 appendix C
  PolicyOverrideType), or the source is a known forwarding service;
- ``misconfigured``: not aligned, from a known sending service (recognised by its
  forward-confirmed reverse DNS or by a passing DKIM/SPF domain of its own): most
  likely the owner's own mail, which ``p=reject`` would block — or someone else's
  account on the same service, which is why it is a finding, not a verdict;
- ``unauthorized``: everything else: spoofing.

A reporter's forwarding claim and the source's reverse DNS are what the *report*
says; a spoofer controls neither the reporter nor a forward-confirmed name of a
known service, which is why only those are trusted to lift mail out of
``unauthorized``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailwarden.psl import psl_organizational_domain
from mailwarden.reports.analysis.providers import Provider, ProviderMap


class Bucket(enum.StrEnum):
    AUTHORIZED = "authorized"
    FORWARDED = "forwarded"
    MISCONFIGURED = "misconfigured"
    UNAUTHORIZED = "unauthorized"


#: Display order (best first).
BUCKETS = (Bucket.AUTHORIZED, Bucket.FORWARDED, Bucket.MISCONFIGURED, Bucket.UNAUTHORIZED)


@dataclass(frozen=True, slots=True)
class Traffic:
    """Messages of one source that share their evaluation (one row of the traffic query)."""

    domain: str
    source_ip: str
    passed: bool
    forwarded: bool
    dkim_domain: str | None
    dkim_result: str | None
    spf_domain: str | None
    spf_result: str | None
    messages: int
    records: int


@dataclass(frozen=True, slots=True)
class Classification:
    bucket: Bucket
    reason: str
    provider: Provider | None = None


def auth_provider(traffic: Traffic, providers: ProviderMap) -> tuple[Provider | None, str | None]:
    """A known service that authenticated the mail as itself (passing DKIM ``d=`` or SPF domain)."""
    for domain, result in ((traffic.dkim_domain, traffic.dkim_result), (traffic.spf_domain, traffic.spf_result)):
        if result == "pass" and domain:
            provider = providers.lookup(domain)
            if provider is not None:
                return provider, domain
    return None, None


def _same_organization(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return (psl_organizational_domain(a) or a) == (psl_organizational_domain(b) or b)


def classify(traffic: Traffic, host_provider: Provider | None, providers: ProviderMap) -> Classification:
    """The bucket of ``traffic``; ``host_provider`` comes from the source's *confirmed* reverse name."""
    if traffic.passed:
        return Classification(Bucket.AUTHORIZED, "DMARC passed: an aligned DKIM signature or SPF domain", host_provider)
    if traffic.forwarded:
        return Classification(Bucket.FORWARDED, "the reporter says it was forwarded or sent through a mailing list",
                              host_provider)
    if host_provider is not None and host_provider.forwards_mail:
        return Classification(Bucket.FORWARDED, f"relayed by {host_provider.name} ({host_provider.type})",
                              host_provider)
    if (host_provider is not None and host_provider.type == "Email Provider"
            and _same_organization(traffic.dkim_domain, traffic.domain) and traffic.dkim_result != "pass"):
        return Classification(
            Bucket.FORWARDED,
            f"carries {traffic.domain}'s own DKIM signature, broken on the way through {host_provider.name}",
            host_provider,
        )
    if host_provider is not None and host_provider.sends_mail:
        return Classification(Bucket.MISCONFIGURED,
                              f"sent through {host_provider.name}, which is not set up to align with {traffic.domain}",
                              host_provider)
    provider, via = auth_provider(traffic, providers)
    if provider is not None and provider.sends_mail:
        return Classification(
            Bucket.MISCONFIGURED,
            f"authenticated as {via} ({provider.name}), not as {traffic.domain}",
            provider,
        )
    return Classification(Bucket.UNAUTHORIZED, "not aligned and not a known sending or forwarding service",
                          host_provider)
