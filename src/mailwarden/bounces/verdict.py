"""The DNS-free part of the backscatter decision (SPEC sections 6 and 8).

Backscatter is a bounce, delay notice or auto-reply about a message the
owner did not send. Without DNS this module decides from:

1. **BATV** (draft-levine-smtp-batv section 5), when the owner signs: the
   address the notification was delivered to (``Delivered-To``,
   ``X-Original-To``, ``Envelope-To``, else the notification's ``To``) must
   carry a valid ``prvs=`` tag. Valid -> ``genuine``; unsigned, forged or
   expired -> ``backscatter``. This is the strongest evidence and decides.
2. **The returned original**: whether its From or envelope sender is one of
   the owner's addresses/domains; whether its Received chain shows a hop
   through a host of the owner's domains or an authenticated submission;
   whether it carries a DKIM-Signature with ``d=`` of an owner domain
   (present, *not verified*: verification needs DNS and is the diagnosis
   service's job, which re-verifies ``report.original.message``).

Outcomes: ``genuine`` only on evidence a forger cannot write - here, a
valid BATV tag (the quoted original's Received hops and an unverified
``d=`` are text its sender wrote: they make the answer ``unknown``, and
``mailwarden diagnose`` verifies the signature); ``backscatter`` when the
original claims the owner but carries no trace of the owner's servers and no
owner signature; ``unknown`` when nothing of the original came back, or the
original does not claim to come from the owner (a list or forwarder bounce).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailwarden.bounces.results import BackscatterVerdict, BounceReport
from mailwarden.message import Message

_D_TAG = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)


def _in_domains(domain: str, domains: set[str]) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _claims_owner(addresses: Iterable[str], owner_addresses: set[str], owner_domains: set[str]) -> str | None:
    from mailwarden.bounces.batv import strip_tag

    for address in addresses:
        if not address:
            continue
        plain = strip_tag(address).lower()
        if plain in owner_addresses:
            return plain
        if "@" in plain and _in_domains(plain.rsplit("@", 1)[1], owner_domains):
            return plain
    return None


def _delivered_to(notification: Message | None) -> str | None:
    if notification is None:
        return None
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"):
        value = notification.get(name)
        if value:
            return value.strip().strip("<>")
    tos = notification.addresses("To")
    return tos[0].address if tos else None


def backscatter_verdict(report: BounceReport, owner_addresses: Iterable[str], owner_domains: Iterable[str], *,
                        batv_key: bytes | None = None, now: float | None = None,
                        notification: Message | None = None) -> BackscatterVerdict:
    """Decide backscatter/genuine/unknown without DNS (see the module docstring).

    ``notification`` is the bounce itself (for the address it was delivered
    to, used by the BATV check); ``now`` defaults to the clock.
    """
    import time

    addrs = {a.strip().strip("<>").lower() for a in owner_addresses if a}
    domains = {d.strip().lower().rstrip(".").lstrip("@") for d in owner_domains if d}
    domains.update(a.rsplit("@", 1)[1] for a in addrs if "@" in a and not domains)
    evidence: list[str] = []
    if not report.is_notification:
        return BackscatterVerdict("unknown", ("not a bounce, delay notice or auto-reply",))

    if batv_key is not None:
        from mailwarden.bounces.batv import verify

        target = _delivered_to(notification)
        if target:
            result = verify(target, batv_key, time.time() if now is None else now)
            evidence.append(f"BATV: the notification was sent to {target}: {result.result} ({result.detail})")
            if result.result == "valid":
                return BackscatterVerdict("genuine", tuple(evidence))
            return BackscatterVerdict("backscatter", tuple(evidence))

    original = report.original
    if original is None or not original.headers_found or original.message is None:
        evidence.append("the notification does not return the original message's headers")
        return BackscatterVerdict("unknown", tuple(evidence))
    msg = original.message
    claimed = _claims_owner([a.address for a in msg.from_addresses] + [original.envelope_from or ""],
                            addrs, domains)
    if claimed is None:
        evidence.append(f"the returned original is from {original.from_ or 'an unknown sender'}, "
                        "not from your addresses or domains (a mailing list, forwarder or alias bounce?)")
        return BackscatterVerdict("unknown", tuple(evidence))
    evidence.append(f"the returned original claims to come from {claimed}")

    owner_hops = []
    for hop in msg.received:
        hosts = [h for h in (hop.by_host, hop.from_host, hop.reverse_dns, hop.helo) if h]
        if any(_in_domains(h, domains) for h in hosts):
            owner_hops.append(hop)
    authenticated = [h for h in msg.received if h.authenticated]
    signatures = []
    for value in msg.get_all("DKIM-Signature"):
        match = _D_TAG.search(value)
        if match and _in_domains(match.group(1), domains):
            signatures.append(match.group(1).lower())
    if owner_hops:
        evidence.append(f"its quoted Received chain names your servers ({len(owner_hops)} hop(s), "
                        f"e.g. {owner_hops[-1].by_host or owner_hops[-1].from_host}) - but whoever wrote the "
                        "original can write those lines too")
    if authenticated:
        evidence.append("its quoted Received chain claims an authenticated submission (the original's sender "
                        "can write that)")
    if signatures:
        evidence.append(f"it carries a DKIM signature of {signatures[0]}, not verified here (verifying it needs "
                        "DNS: mailwarden diagnose does)")
    if owner_hops or signatures:
        # Only evidence the forger cannot write makes a bounce genuine: a valid BATV tag (above) or the
        # owner's verifying DKIM signature on the original (mailwarden diagnose). Quoted hops are text.
        return BackscatterVerdict("unknown", tuple(evidence))
    if not msg.received:
        evidence.append("the returned headers have no Received chain to compare with your servers")
        return BackscatterVerdict("unknown", tuple(evidence))
    evidence.append("no trace of your servers and no DKIM signature of your domain: "
                    "someone else sent it with a forged sender")
    return BackscatterVerdict("backscatter", tuple(evidence))
