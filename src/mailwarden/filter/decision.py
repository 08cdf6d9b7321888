"""What the filter does with one message (SPEC section 14): pure logic, no I/O.

Order of the checks, first match wins:

0. a client that authenticated (SMTP AUTH) or sits in a trusted network is
   stamped, not judged (OpenDMARC's IgnoreAuthenticatedClients/IgnoreHosts);
1. a DMARC temperror, or a negative answer that a DNS timeout could have turned
   positive, is not decided: the configured fail-safe answer (temporary failure
   by default) lets the sender retry;
2. **DMARC enforcement** (RFC 9989 section 5.3 / RFC 7489 section 6.6): a
   ``fail`` whose disposition is ``reject`` or ``quarantine`` is applied, unless
   a local override holds (RFC 7489 section 6.7 "local policy"): the client is a
   trusted forwarder, or a trusted ARC sealer (RFC 8617 section 7.2) recorded
   ``dmarc=pass`` in its ARC-Authentication-Results;
3. **self-spoof guard**: a From in a local domain, no SMTP AUTH, a client
   outside the trusted networks and no aligned authentication (no DMARC pass,
   no override) is refused even when the domain publishes ``p=none``;
4. **backscatter guard**: a bounce or auto-reply to a local address is
   accepted only with evidence that the message it is about left here (a
   valid BATV tag on the recipient, or a returned original whose DKIM
   signature of a local domain verifies); a sender on an allowlist counts
   only when DMARC passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mailwarden.filter.config import FilterConfig

ACCEPT, REJECT, QUARANTINE, TEMPFAIL = "accept", "reject", "quarantine", "tempfail"

_ADDR_DOMAIN = re.compile(r"@\s*\[?([A-Za-z0-9][A-Za-z0-9.\-]*)", re.ASCII)


@dataclass(frozen=True)
class Transaction:
    """The SMTP facts the MTA told the milter (never the message's own claims)."""

    client_ip: str | None
    helo: str | None
    mail_from: str  # "" for the null sender <>
    recipients: tuple[str, ...]
    authenticated_user: str | None = None  # the {auth_authen} macro
    queue_id: str | None = None


@dataclass(frozen=True)
class BackscatterEvidence:
    """Whether the backscatter guard applies to a message, and what the message proves."""

    applies: bool  # a bounce or auto-reply to a local recipient
    genuine: bool = False  # a valid BATV tag or a verified own signature on the original
    temperror: bool = False  # the original's signature could not be checked (DNS)
    kind: str | None = None
    reason: str = ""


NOT_A_NOTIFICATION = BackscatterEvidence(False, reason="not a bounce or auto-reply to a local address")


@dataclass(frozen=True)
class Decision:
    """The answer for the MTA and why."""

    action: str  # accept | reject | quarantine | tempfail
    guard: str | None  # dmarc | self-spoof | backscatter | error | None
    reasons: tuple[str, ...]
    smtp_code: str | None = None
    smtp_xcode: str | None = None
    smtp_text: str | None = None
    override: str | None = None  # the local policy that overrode a DMARC fail
    allowlisted: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> str:
        """A short label for counters and logs."""
        return self.guard or ("allowlisted" if self.allowlisted else "clean")


def claimed_from_domains(message_from_values: list[str], dmarc: Any) -> tuple[str, ...]:
    """Every domain the From field names: those DMARC evaluated plus any ``@domain`` in the raw text.

    The raw scan catches From fields the parser refused (several addresses,
    broken syntax) that a mail program may still display.
    """
    domains = [d.lower() for d in (getattr(dmarc, "from_domains", None) or ()) if d]
    for value in message_from_values[:10]:
        domains.extend(m.group(1).lower().rstrip(".") for m in _ADDR_DOMAIN.finditer(value[:4096]))
    return tuple(dict.fromkeys(domains))


def trusted_arc_override(arc: Any, sealers: tuple[str, ...], from_domain: str | None) -> str | None:
    """The trusted sealer whose AAR records ``dmarc=pass`` for ``from_domain`` (RFC 8617 section 7.2), or None.

    Only a chain that validates (``cv=pass``) counts; the sealer's own ARC-Seal
    must have verified, so the AAR is what that sealer saw.
    """
    if not sealers or arc is None or getattr(arc, "cv", None) != "pass":
        return None
    from mailwarden.message.authres import parse_authentication_results

    for arc_set in sorted(getattr(arc, "sets", ()), key=lambda s: -s.instance):
        domain = (arc_set.seal.domain or "").lower().rstrip(".")
        if arc_set.seal.result != "pass" or not any(domain == s or domain.endswith("." + s) for s in sealers):
            continue
        parsed = parse_authentication_results(arc_set.authentication_results)
        for r in parsed.results:
            if r.method.lower() != "dmarc" or r.result.lower() != "pass":
                continue
            header_from = next((p.value.lower().rstrip(".") for p in r.properties
                                if p.ptype.lower() == "header" and p.name.lower() == "from"), None)
            if from_domain is None or header_from is None or header_from == from_domain.lower():
                return domain
    return None


def _could_have_passed(auth: Any) -> bool:
    """A DNS timeout in SPF or any DKIM signature: the answer might have been a pass."""
    spf = getattr(auth, "spf", None)
    if spf is not None and getattr(spf, "result", None) == "temperror":
        return True
    return any(getattr(s, "result", None) == "temperror" for s in getattr(auth, "dkim", ()) or ())


def fail_safe(config: FilterConfig, reason: str) -> Decision:
    """The configured answer when nothing can be concluded (SPEC section 14: never lose mail)."""
    if config.on_error == "accept":
        return Decision(ACCEPT, "error", (reason,))
    return Decision(TEMPFAIL, "error", (reason,), "451", "4.7.1",
                    "Message could not be checked now, please try again later")


def _refusal(config: FilterConfig, action: str, guard: str, reasons: list[str], text: str, **kw: Any) -> Decision:
    if action == REJECT:
        return Decision(REJECT, guard, tuple(reasons), "550", "5.7.1", text, **kw)
    return Decision(QUARANTINE, guard, tuple(reasons), **kw)


def decide(config: FilterConfig, tx: Transaction, auth: Any, *, from_values: list[str],
           backscatter: BackscatterEvidence = NOT_A_NOTIFICATION,
           allowlisted: tuple[str, ...] = ()) -> Decision:
    """The decision for one message; ``auth`` is the engine's result (``spf``, ``dkim``, ``arc``, ``dmarc``)."""
    dmarc = auth.dmarc
    result = dmarc.result
    from_domain = dmarc.from_domain
    reasons = [f"dmarc={result}" + (f" ({from_domain})" if from_domain else "")]
    if result == "temperror":
        return fail_safe(config, f"DMARC of {from_domain or 'the From domain'} could not be determined: "
                                 f"{dmarc.reason}")
    passed = result == "pass"
    if tx.authenticated_user or config.in_networks(tx.client_ip, config.trusted_networks):
        # our own users and relays (OpenDMARC's IgnoreAuthenticatedClients / IgnoreHosts): stamped, not judged
        reasons.append(f"authenticated as {tx.authenticated_user}" if tx.authenticated_user
                       else f"client {tx.client_ip} is in a trusted network")
        return Decision(ACCEPT, None, tuple(reasons), allowlisted=allowlisted if passed else ())

    override = None
    if not passed:
        if config.in_networks(tx.client_ip, config.trusted_forwarders):
            override = "trusted-forwarder"
            reasons.append(f"client {tx.client_ip} is a trusted forwarder")
        else:
            sealer = trusted_arc_override(auth.arc, config.trusted_arc_sealers, from_domain)
            if sealer is not None:
                override = "trusted-arc-sealer"
                reasons.append(f"trusted ARC sealer {sealer} saw dmarc=pass")
    vouched = passed or override is not None
    allowed = allowlisted if passed else ()
    if allowlisted and not passed:
        reasons.append("allowlist entry ignored: DMARC did not pass")

    disposition = getattr(dmarc, "disposition", "none")
    if result == "fail" and config.dmarc_enforce and override is None and disposition in (REJECT, QUARANTINE):
        if _could_have_passed(auth):
            return fail_safe(config, "DMARC failed but a DNS timeout may have hidden a pass")
        reasons.append(f"the domain's policy asks to {disposition}")
        return _refusal(config, disposition, "dmarc", reasons,
                        f"DMARC policy of {from_domain} says {disposition}: the message is not authenticated")

    local = [d for d in claimed_from_domains(from_values, dmarc) if config.is_local(d)]
    if local and not vouched and config.self_spoof_action != "none":
        if _could_have_passed(auth):
            return fail_safe(config, f"From claims local domain {local[0]}; a DNS timeout may have hidden a pass")
        reasons.append(f"From claims local domain {local[0]} without SMTP AUTH, from outside the trusted "
                       "networks, and no aligned SPF or DKIM")
        return _refusal(config, config.self_spoof_action, "self-spoof", reasons,
                        f"Message claims to be from {local[0]} but was not sent by {local[0]}")

    if backscatter.applies and not backscatter.genuine and config.backscatter_action != "none":
        if allowed:
            reasons.append(f"backscatter guard skipped: sender allowlisted ({allowed[0]}) and DMARC passed")
        elif backscatter.temperror:
            return fail_safe(config, f"the returned original could not be verified now: {backscatter.reason}")
        else:
            reasons.append(f"{backscatter.kind or 'notification'} about mail that did not leave here: "
                           f"{backscatter.reason}")
            return _refusal(config, config.backscatter_action, "backscatter", reasons,
                            "Bounce or auto-reply for a message we did not send (backscatter)",
                            override=override, allowlisted=allowed)
    elif backscatter.applies:
        reasons.append(f"{backscatter.kind or 'notification'}: {backscatter.reason}")
    return Decision(ACCEPT, None, tuple(reasons), override=override, allowlisted=allowed)
