"""``diagnose_message``: "was my account used, or was my address forged?" (SPEC section 6).

The service never prints.  It

1. finds the trust boundary (:mod:`~mailwarden.diagnose.boundary`) and the
   provider's trusted Authentication-Results (:mod:`~mailwarden.diagnose.crosscheck`);
2. authenticates the message once through the session
   (:meth:`mailwarden.auth.Authenticator.authenticate`: SPF for the boundary hop,
   every DKIM signature, ARC and DMARC, each step under a deadline) and compares
   that :class:`~mailwarden.auth.AuthReport` with the provider's results; identifier
   alignment is the report's own definition (:class:`~mailwarden.dmarc.alignment.Aligner`,
   same mode), so the verdict never contradicts the DMARC result it quotes;
3. reads bounces and auto-replies with :func:`mailwarden.bounces.analyze_bounce`
   and judges the returned original;
4. looks for look-alikes, decides (:mod:`~mailwarden.diagnose.verdict`) and
   writes advice (:mod:`~mailwarden.diagnose.advice`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mailwarden.auth.report import AuthReport, Envelope
from mailwarden.diagnose.advice import Posture, advise
from mailwarden.diagnose.boundary import TrustedRelays, find_boundary, is_local_address, parse_trusted_relays
from mailwarden.diagnose.crosscheck import Outcome, compare, provider_outcomes, select_trusted
from mailwarden.diagnose.lookalike import find_lookalikes, is_owner_domain
from mailwarden.diagnose.results import Boundary, Diagnosis, Evidence
from mailwarden.diagnose.thirdparty import name_dkim_selector, name_spf_include
from mailwarden.diagnose.verdict import Facts, OriginalFacts, decide, summarize
from mailwarden.errors import InputError
from mailwarden.message.addresses import Address
from mailwarden.message.authres import AuthenticationResults, parse_authentication_results
from mailwarden.message.model import Message
from mailwarden.message.received import ReceivedHop
from mailwarden.psl import host_organization

if TYPE_CHECKING:
    from mailwarden.arc.results import ARCResult
    from mailwarden.auth.session import Authenticator
    from mailwarden.dkim.results import DKIMSignatureResult
    from mailwarden.dmarc.alignment import Aligner
    from mailwarden.dmarc.discovery import PolicyDiscovery
    from mailwarden.dmarc.evaluate import DMARCResult
    from mailwarden.spf.results import SPFResult

_SRS = re.compile(r"^SRS[01][=+-]", re.I)
_AAR_INSTANCE = re.compile(r"^\s*i\s*=\s*([0-9]{1,2})\s*;", re.I)
_FORWARD_HEADERS = ("X-Forwarded-To", "X-Forwarded-For", "X-Original-To", "Resent-From", "X-Resent-From")
#: authserv-id of our own re-verification line (not the provider's: we do not speak for it).
OWN_AUTHSERV_ID = "mailwarden"


def _domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rpartition("@")[2].lower().rstrip(">").strip() or None


@dataclass(frozen=True)
class _Ours:
    """What our authentication found, with the steps that were not checked as None."""

    spf: SPFResult | None
    owner_spf: SPFResult | None  # SPF of the boundary IP for the owner's From domain
    dkim: tuple[DKIMSignatureResult, ...]
    arc: ARCResult | None
    dmarc: DMARCResult | None
    policy: PolicyDiscovery | None  # DMARC policy discovery for the owner's domain
    timeouts: tuple[str, ...]


def _ours(report: AuthReport, owner_spf: SPFResult | None, policy: PolicyDiscovery | None,
          extra_timeouts: Sequence[str], envelope_domain: str | None, from_domain: str | None) -> _Ours:
    timeouts = tuple(dict.fromkeys([*report.timeouts, *extra_timeouts]))
    spf = None if report.spf_skipped is not None or "spf" in report.timeouts else report.spf
    if owner_spf is None and spf is not None and envelope_domain == from_domain:
        owner_spf = spf
    return _Ours(spf, owner_spf, report.dkim, None if "arc" in report.timeouts else report.arc,
                 None if "dmarc" in report.timeouts else report.dmarc, policy, timeouts)


# --------------------------------------------------------------------------- small readers
async def _aar_owner_pass(message: Message, aligned: Callable[[str | None, str], Awaitable[bool]]) -> bool:
    """The first ARC hop (i=1) saw an aligned DKIM or SPF pass for the From domain (RFC 8617 section 4.1.1)."""
    for value in message.get_all("ARC-Authentication-Results")[:50]:
        m = _AAR_INSTANCE.match(value)
        if not m or m.group(1) != "1":
            continue
        ar = parse_authentication_results(value[m.end():])
        for r in ar.results:
            if r.result != "pass":
                continue
            if r.method == "dkim" and await aligned(r.get("header.d"), "dkim"):
                return True
            if r.method == "spf" and await aligned(_domain_of(r.get("smtp.mailfrom")), "spf"):
                return True
    return False


def provider_written(hops: Sequence[ReceivedHop], boundary: Boundary, provider_orgs: set[str]) -> list[ReceivedHop]:
    """The Received hops the owner's provider wrote: everything down to the boundary, then each hop
    below it that a provider host handed over (its receiver-verified client name is the provider's,
    or an internal hand-off).  The first hop handed over by anyone else ends it: below that line
    the sender writes what it likes (SPEC section 6, "Trust needs the provider's own trace")."""
    if boundary.hop is None:
        return []
    trusted = list(hops[: boundary.hop.index + 1])
    current = boundary.hop
    for hop in hops[boundary.hop.index + 1:]:
        if current.ambiguity is not None:
            break
        client = current.reverse_dns if current.tcp_info else None
        by_provider = (client is not None and host_organization(client) in provider_orgs) or (
            current.tcp_info and is_local_address(current.ip)) or (current.ip is None and current.from_host is None)
        if not by_provider:
            break
        trusted.append(hop)
        current = hop
    return trusted


def _submission_hop(hops: Iterable[ReceivedHop], provider_orgs: set[str]) -> ReceivedHop | None:
    """A provider-written hop where the provider accepted an authenticated submission (ESMTPSA, "Authenticated sender")."""
    for hop in hops:
        if hop.authenticated and hop.by_host and host_organization(hop.by_host) in provider_orgs:
            return hop
    return None


def submission_account(hop: ReceivedHop, me: Sequence[str], owner_domains: Sequence[str]) -> str:
    """Whose login the provider recorded: ``owner`` (the ``--me`` address itself; with only
    ``--domain``, any account of the owner's domain), ``other`` (another account), or ``unknown``
    (the provider did not record the user)."""
    user = (hop.auth_user or "").strip().strip("<>").lower()
    if not user:
        return "unknown" if me else "owner"
    if me:
        return "owner" if user in {m.lower() for m in me} else "other"
    return "owner" if "@" in user and is_owner_domain(user.rpartition("@")[2], owner_domains) else "other"


#: Header fields a reader sees: an unsigned instance of one of them is content the signer never wrote.
_VISIBLE_FIELDS = ("from", "subject", "to", "cc", "date", "reply-to", "sender", "content-type")


def _unsigned_content(sig: Any) -> str | None:
    """What a passing signature leaves unsigned that the reader sees, in words (None: nothing)."""
    parts = [f"an extra {name.title()} field" for name in getattr(sig, "unsigned_fields", ()) or ()
             if name in _VISIBLE_FIELDS]
    after_l = getattr(sig, "unsigned_bytes_after_l", None)
    if after_l:
        parts.append(f"the end of the body ({after_l} bytes after l=)")
    return " and ".join(parts) or None


def _client_name(hop: ReceivedHop | None) -> str | None:
    if hop is None:
        return None
    return hop.reverse_dns or (hop.from_host if hop.ip is None or is_local_address(hop.ip) else None)


def _allowlist_hits(allowlist: Any, addresses: Sequence[str], domains: Sequence[str]) -> tuple[str, ...]:
    if allowlist is None:
        return ()
    probes = list(addresses) + [f"someone-else@{d}" for d in domains]
    hits: dict[str, None] = {}
    for probe in probes[:50]:
        for entry in allowlist.matches(probe):
            if getattr(entry, "authenticated", False):
                continue
            hits.setdefault(f"line {entry.line}: {entry.entry}", None)
    return tuple(hits)


def _spf_third_party(spf: SPFResult | None, provider_orgs: set[str]) -> str | None:
    """The include that authorized the IP, when it is not the provider's own."""
    if spf is None or spf.result != "pass":
        return None
    matched = (spf.matched_domain or "").lower()
    for step in spf.chain:
        if step.kind != "include":
            continue
        target = step.target.lower()
        if matched and not (matched == target or matched.endswith("." + target) or step.result == "pass"):
            continue
        if host_organization(target) in provider_orgs:
            return None
        return name_spf_include(target)
    return None


def _via_provider_spf(spf: SPFResult | None, provider_orgs: set[str]) -> bool:
    if spf is None or spf.result != "pass":
        return False
    return any(host_organization(s.target) in provider_orgs for s in spf.chain if s.kind == "include") or (
        host_organization(spf.matched_domain) in provider_orgs)


# --------------------------------------------------------------------------- the returned original of a bounce
async def _original_facts(
    session: Authenticator, aligner: Aligner, original: Message | None, owner_domains: Sequence[str],
    provider_orgs: set[str], now: float | None, evidence: list[Evidence],
) -> OriginalFacts:
    if original is None:
        evidence.append(Evidence("original", "missing", "the notification does not include the original message"))
        return OriginalFacts(False, False, False, False, False, False)
    froms = [a for a in original.from_addresses if a.domain]
    owner_from = next((a for a in froms if is_owner_domain(a.domain, owner_domains)), None)
    envelope = original.return_path
    claims = owner_from is not None or bool(envelope and is_owner_domain(_domain_of(envelope) or "", owner_domains))
    domain = owner_from.domain if owner_from else (_domain_of(envelope) or (owner_domains[0] if owner_domains else None))
    boundary = find_boundary(original)
    timeouts: list[str] = []
    spf = None
    if boundary.ip and domain:
        spf = await session.bounded("spf", session.spf(boundary.ip, f"postmaster@{domain}", boundary.helo or "",
                                                       now=now), timeouts)
    dkim: Sequence[DKIMSignatureResult] = ()
    if original.header_fields("DKIM-Signature"):
        dkim = await session.bounded("dkim", session.dkim(original, now=now), timeouts) or ()
    owner_sigs = [s for s in dkim if await session.bounded("dmarc", aligner.aligned(s.domain, domain), timeouts)]
    # The quoted original's Received hops are whoever wrote it; only the owner's own signature that
    # verifies (and covers the From) proves the owner sent it (issue 14, class 5).
    dkim_pass = [s for s in owner_sigs if s.result == "pass" and s.covers_displayed_from]
    spf_word = spf.result if spf is not None else None
    temperror = bool(timeouts) or spf_word == "temperror" or any(s.result == "temperror" for s in owner_sigs)
    trace_host = None
    for h in original.received:
        for host in (h.by_host, _client_name(h) or h.from_host):
            if host and host_organization(host) in provider_orgs:
                trace_host = host
                break
        if trace_host:
            break
    who = owner_from.address if owner_from else (envelope or "unknown")
    evidence.append(Evidence("original", "found", f"the returned message was sent as {who}"
                             + (f", subject {original.subject!r}" if original.subject else "")))
    if boundary.ip:
        evidence.append(Evidence("original-spf", spf_word or "not checked",
                                 f"it reached {boundary.receiver or 'the bouncing server'} from {boundary.ip}"
                                 + (f" ({boundary.helo})" if boundary.helo and boundary.helo.strip("[]") != boundary.ip
                                    else "")
                                 + f"; SPF of {domain} says {spf_word or 'nothing'}"
                                 + (" - but those quoted Received lines are the original sender's text, so a "
                                    "pass proves nothing by itself" if spf_word == "pass" else "")))
    for s in dkim:
        evidence.append(Evidence("original-dkim", s.result, f"DKIM signature d={s.domain} s={s.selector}"
                                 + (f": {s.reason}" if s.reason else "")))
    if not dkim:
        evidence.append(Evidence("original-dkim", "none", "the returned message carries no DKIM signature"))
    if trace_host is not None:
        evidence.append(Evidence("original-trace", "claimed",
                                 f"its quoted Received lines name your provider's server {trace_host}; anyone "
                                 "forging the original can write that, so it is not proof"))
    failed = spf_word in ("fail", "softfail") or (bool(owner_sigs) and not dkim_pass and all(
        s.result in ("fail", "permerror") for s in owner_sigs) and original.body is not None)
    return OriginalFacts(
        present=True, claims_owner=claims, aligned_pass=bool(dkim_pass), failed=failed,
        temperror=temperror, owner_trace=trace_host is not None,
    )


# --------------------------------------------------------------------------- our authentication
async def _authenticate(
    session: Authenticator, message: Message, boundary: Boundary, from_domain: str | None, owner_claimed: bool,
    policy_domain: str | None, now: float | None,
) -> tuple[AuthReport, _Ours]:
    """The session's one authentication of the message, for the envelope at the trust boundary
    (not check's topmost-hop guess), under :data:`OWN_AUTHSERV_ID`; with it, concurrently, SPF of
    the boundary IP for the owner's domain and the owner's DMARC policy (the posture advice needs them)."""
    hop = boundary.hop
    envelope = Envelope(
        boundary.ip, boundary.helo, boundary.mail_from,
        "received" if boundary.ip else None, "received" if boundary.helo else None,
        "return-path" if message.return_path is not None else ("received" if boundary.mail_from else None),
        hop.index if hop is not None else None,
    )
    checkable = bool(boundary.ip) and boundary.mail_from is not None
    envelope_domain = _domain_of(boundary.mail_from)
    timeouts: list[str] = []

    async def nothing() -> None:
        return None

    owner_spf_job = (session.spf(boundary.ip, f"postmaster@{from_domain}", boundary.helo or "",
                                 receiver=boundary.receiver, now=now)
                     if boundary.ip and from_domain and owner_claimed and envelope_domain != from_domain
                     else nothing())
    policy_job = session.dmarc_policy(policy_domain) if policy_domain else nothing()
    report, owner_spf, policy = await asyncio.gather(
        session.authenticate(message, envelope=envelope, receiver=boundary.receiver, now=now,
                             authserv_id=OWN_AUTHSERV_ID,
                             skip_spf=None if checkable else
                             "SPF not checked: no connecting IP and envelope sender at the trust boundary"),
        session.bounded("spf", owner_spf_job, timeouts),
        session.bounded("dmarc", policy_job, timeouts),
    )
    return report, _ours(report, owner_spf, policy, timeouts, envelope_domain, from_domain)


# --------------------------------------------------------------------------- the service
async def diagnose_message(
    session: Authenticator,
    message: Message,
    *,
    me: Sequence[str] = (),
    domains: Sequence[str] = (),
    trusted_authserv_ids: Sequence[str] = (),
    trusted_relays: Sequence[str] | TrustedRelays = (),
    allowlist: Any = None,
    now: float | None = None,
    trusted_sealers: Sequence[str] = (),
) -> Diagnosis:
    """Diagnose ``message`` as received in the owner's mailbox (SPEC section 6).

    ``me``/``domains`` name the owner; ``trusted_authserv_ids`` the provider's
    Authentication-Results host(s); ``trusted_relays`` host names, ``.domains`` or
    CIDRs of the provider's inbound relays; ``allowlist`` a parsed allowlist
    (:class:`mailwarden.allowlist.results.ParsedAllowlist`) to look for the allowlist trap;
    ``trusted_sealers`` ARC sealer domains the owner trusts (a list or forwarder they use).
    ``session`` supplies the resolver, the caches, the step deadline and the DMARC mode.
    """
    resolver = session.resolver
    aligner = session.aligner()
    addresses = [a.strip().lower() for a in me if a.strip()]
    for a in addresses:
        if "@" not in a or not a.rpartition("@")[2]:
            raise InputError(f"the owner's address {a!r} is not an e-mail address")
    owner_domains = list(dict.fromkeys(
        [d.strip().lower().rstrip(".") for d in domains if d.strip()] + [a.rpartition("@")[2] for a in addresses]))
    if not owner_domains:
        raise InputError("name the owner by an e-mail address or a domain")
    relays = trusted_relays if isinstance(trusted_relays, TrustedRelays) else parse_trusted_relays(trusted_relays)
    ids = [i.strip().lower().rstrip(".") for i in trusted_authserv_ids if i.strip()]
    evidence: list[Evidence] = []

    # Who the message claims to be from.
    from_field = message.from_field
    froms = from_field.addresses
    claimed = [a for a in froms if a.domain and is_owner_domain(a.domain, owner_domains)]
    if from_field.ambiguity is not None and not claimed:
        # another program may show the owner's address: the message claims it all the same
        claimed = [Address("", "(ambiguous)", d) for d in from_field.other_domains
                   if is_owner_domain(d, owner_domains)][:1]
    from_domain = claimed[0].domain if claimed else next((a.domain for a in froms if a.domain), None)
    if from_field.ambiguity is not None:
        readings = ", ".join(from_field.other_domains[:5]) or "no domain"
        evidence.append(Evidence("from", "ambiguous",
                                 f"ambiguous sender: {from_field.ambiguity}; programs can disagree about who "
                                 f"sent it (domains it could be read as: {readings}), so nothing can vouch for it"))
    if froms:
        shown = ", ".join(str(a) for a in froms[:5])
        evidence.append(Evidence("from", "owner" if claimed else "other",
                                 f"From: {shown}" + (" - your own address/domain" if claimed else "")))
    else:
        evidence.append(Evidence("from", "missing", "the message has no usable From address"))
    if len(froms) > 1:
        evidence.append(Evidence("from", "multiple", f"the message has {len(froms)} From addresses; RFC 5322 "
                                 "section 3.6.2 then requires a Sender, and DMARC receivers often reject it"))

    # Where the provider received it.
    mx_hosts: list[str] = []
    if not relays and not ids:
        for d in owner_domains[:5]:
            answer = await resolver.query(d, "MX")
            mx_hosts += [mx.exchange for mx in answer.mx() if mx.exchange]
    boundary = find_boundary(message, trusted_relays=relays, trusted_authserv_ids=ids, owner_mx_hosts=mx_hosts)
    if boundary.found:
        evidence.append(Evidence("boundary", boundary.method,
                                 f"your provider's server {boundary.receiver or '(name not recorded)'} received it from "
                                 f"{boundary.ip or 'an unknown address'}"
                                 f" (HELO {boundary.helo or 'unknown'}), envelope sender "
                                 f"<{boundary.mail_from if boundary.mail_from is not None else '?'}>"
                                 + (f"; {boundary.note}" if boundary.note else "")))
    else:
        evidence.append(Evidence("boundary", "missing", boundary.note or "no Received header from your provider"))
    provider_orgs = {o for o in (host_organization(h) for h in [*ids, *relays.names, *(s.lstrip(".") for s in relays.suffixes),
                                                    *mx_hosts, boundary.receiver]) if o}

    # The provider's own results.
    implicit_ids = ids or [n for n in [*relays.names, boundary.receiver or ""] if n]
    trusted = select_trusted(message, implicit_ids, boundary.header_position)
    provider = trusted.header
    if provider is not None:
        evidence.append(Evidence("authentication-results", "trusted",
                                 f"your provider ({provider.authserv_id}) recorded: "
                                 + ", ".join(f"{r.method}={r.result}" for r in provider.results
                                             if r.method in ("spf", "dkim", "dmarc", "arc"))))
    elif ids:
        evidence.append(Evidence("authentication-results", "missing",
                                 f"no check results from {', '.join(ids)} (its Authentication-Results header) where only your "
                                 "provider can write them"))
    for ar, why in trusted.ignored:
        if ids and ar.authserv_id.lower() in ids:
            evidence.append(Evidence("authentication-results", "forged", f"ignored a header: {why}"))
        elif ar.authserv_id and any(r.result == "pass" for r in ar.results):
            evidence.append(Evidence("authentication-results", "untrusted", f"ignored a header: {why}"))
    for ar in trusted.conflicting:
        evidence.append(Evidence("authentication-results", "conflict",
                                 f"another {ar.authserv_id} header above the boundary says something else; "
                                 "the one next to the boundary was used"))

    # Bounces and auto-replies.
    notification = None
    original_facts = None
    imitation = False
    if not claimed:
        from mailwarden.bounces import analyze_bounce
        from mailwarden.bounces.wording import reason_words

        report = analyze_bounce(message)
        if report.kind not in ("none", "feedback-report") and not _bounce_structure(message, boundary, report):
            imitation = True
            evidence.append(Evidence(
                "notification", "imitation",
                "it is worded like a bounce, but it is not one: it has a real sender and no delivery report "
                "written by a mail server (a common phishing disguise)"))
        elif report.kind not in ("none", "feedback-report"):
            notification = report.kind
            evidence.append(Evidence("notification", report.kind,
                                     f"this is a {'bounce' if report.is_bounce else report.kind} "
                                     f"from {report.reporting_mta or report.mta or 'a mail server'}"
                                     + (f" (reason: {reason_words(report.reason)})" if report.reason else "")))
            original_msg = report.original.message if report.original and report.original.headers_found else None
            original_facts = await _original_facts(session, aligner, original_msg, owner_domains, provider_orgs,
                                                   now, evidence)

    posture_domain = from_domain if claimed else owner_domains[0]
    report, ours = await _authenticate(session, message, boundary, from_domain, bool(claimed), posture_domain, now)
    facts, disagreements = await _facts(
        message, boundary, provider, ours, session, aligner, from_domain, bool(claimed), owner_domains,
        provider_orgs, len(froms), evidence, quiet=notification is not None, me=addresses,
        trusted_sealers=frozenset(o for o in (host_organization(t) for t in trusted_sealers) if o))
    lookalikes = find_lookalikes(froms, addresses, owner_domains) if not claimed else ()
    for x in lookalikes:
        evidence.append(Evidence("lookalike", x.kind, x.detail))
    facts = replace(facts, lookalikes=lookalikes, notification=notification, original=original_facts,
                    bounce_imitation=imitation, from_ambiguity=from_field.ambiguity)
    decision = decide(facts)
    posture = _posture(ours, posture_domain, _allowlist_hits(allowlist, addresses, owner_domains))
    if posture.allowlisted:
        evidence.append(Evidence("allowlist", "owner-allowlisted",
                                 "your own address/domain is allowlisted: " + ", ".join(posture.allowlisted[:3])))
    owner_label = addresses[0] if addresses else owner_domains[0]
    return Diagnosis(
        verdict=decision.verdict,
        confidence=decision.confidence,
        summary=summarize(decision, facts, owner_label),
        evidence=tuple(evidence),
        advice=advise(decision, facts, posture),
        auth=report,
        boundary=boundary,
        sending_path=decision.path,
        third_party=facts.third_party if decision.verdict == "authentic" else None,
        lookalikes=lookalikes,
        disagreements=disagreements,
        missing=decision.missing,
        claimed=tuple(a.address for a in claimed),
    )


def _posture(ours: _Ours, domain: str | None, allowlisted: tuple[str, ...]) -> Posture:
    policy = ours.policy
    known = policy is not None and policy.status in ("found", "none")
    record = policy.record_text if policy is not None and policy.status == "found" else None
    p = None
    if policy is not None and policy.status == "found" and policy.record is not None:
        p = policy.record.effective_p() if policy.at_domain else (policy.record.sp or policy.record.effective_p())
    spf_all = None
    spf = ours.owner_spf
    if spf is not None and spf.record:
        m = re.search(r"(?:^|\s)([-~?+]?)all(?:\s|$)", spf.record)
        if m:
            spf_all = (m.group(1) or "+") + "all"
    return Posture(domain, record, p, known, spf_all, allowlisted)


def _bounce_structure(message: Message, boundary: Boundary, report: Any) -> bool:
    """A bounce needs the structure a mail server gives it, not only its words (RFC 3464, RFC 5321 section 4.5.5).

    A delivery-status report, a null envelope sender, or a body in a known mail
    server's layout; an auto-reply (RFC 3834) is recognised by its own headers.
    Keywords alone ("undelivered", "could not be delivered") are what phishing copies.
    """
    if report.kind in ("dsn", "delivery-success", "autoreply"):
        return True
    if boundary.mail_from == "" or (boundary.mail_from is None and message.return_path == ""):
        return True
    return report.mta is not None


def _arc_sealers(message: Message) -> tuple[str, ...]:
    """``d=`` of every ARC-Seal, newest (highest ``i=``) first (RFC 8617 section 4.1.3)."""
    found: list[tuple[int, str]] = []
    for value in message.get_all("ARC-Seal")[:50]:
        d = re.search(r"(?:^|;)\s*d\s*=\s*([A-Za-z0-9.-]+)", value)
        i = re.search(r"(?:^|;)\s*i\s*=\s*([0-9]{1,2})", value)
        if d:
            found.append((int(i.group(1)) if i else 0, d.group(1).lower().rstrip(".")))
    return tuple(d for _, d in sorted(found, key=lambda x: -x[0]))


async def _temperrors(e: _Ours, theirs: Sequence[Outcome],
                      aligned: Callable[[str | None, str], Awaitable[bool]]) -> tuple[str, ...]:
    """Owner-domain lookups that did not answer: ours, unless the provider recorded a definite
    result for that method at delivery, and the provider's own recorded temperrors (RFC 8601 section 2.7)."""
    ours: list[str] = []
    if "spf" in e.timeouts or (e.owner_spf is not None and e.owner_spf.result == "temperror") or (
            e.spf is not None and e.spf.result == "temperror" and await aligned(e.spf.domain, "spf")):
        ours.append("spf")
    if "dkim" in e.timeouts or [s for s in e.dkim if s.result == "temperror" and await aligned(s.domain, "dkim")]:
        ours.append("dkim")
    if "dmarc" in e.timeouts or (e.policy is not None and e.policy.status == "temperror") or (
            e.dmarc is not None and e.dmarc.result == "temperror"):
        ours.append("dmarc")
    if "arc" in e.timeouts:
        ours.append("arc")

    async def relevant(t: Outcome) -> bool:
        if t.method == "spf":
            return t.domain is None or await aligned(t.domain, "spf")
        return t.method == "dmarc" or (t.method == "dkim" and await aligned(t.domain, "dkim"))

    definite = {t.method for t in theirs if await relevant(t) and t.result not in ("temperror", "none")}
    if any(t.method == "dmarc" and t.result in ("pass", "fail") for t in theirs):
        definite |= {"spf", "dkim"}  # the provider's DMARC result already weighed aligned SPF and DKIM
    recorded = [t.method for t in theirs if await relevant(t) and t.result == "temperror"]
    kept = [m for m in ours if m not in definite or m == "arc"] + recorded
    return tuple(dict.fromkeys(m for m in ("spf", "dkim", "dmarc", "arc") if m in kept))


async def _facts(
    message: Message, boundary: Boundary, provider: AuthenticationResults | None, e: _Ours,
    session: Authenticator, aligner: Aligner, from_domain: str | None, claims_owner: bool,
    owner_domains: Sequence[str], provider_orgs: set[str], from_count: int, evidence: list[Evidence], *,
    quiet: bool = False, trusted_sealers: frozenset[str] = frozenset(), me: Sequence[str] = (),
) -> tuple[Facts, tuple[Any, ...]]:
    from mailwarden.dmarc.evaluate import domain_result_for

    # Identifier alignment is the DMARC evaluation's own: the record's adkim/aspf, and the same
    # Aligner (mode, tree walk or PSL, psd): one definition, so the verdict never contradicts the
    # DMARC result it quotes.  Without a DMARC evaluation for the From domain nothing is aligned.
    owner_dmarc = domain_result_for(e.dmarc, from_domain)
    owner_record = owner_dmarc.discovery.record if owner_dmarc is not None and owner_dmarc.discovery else None
    if owner_dmarc is not None and owner_dmarc.from_domain and owner_dmarc.organizational_domain:
        aligner.know(owner_dmarc.from_domain, owner_dmarc.organizational_domain)

    async def dmarc_aligned(other: str | None, kind: str) -> bool:
        if owner_dmarc is None:
            return False
        strict = owner_record is not None and (owner_record.adkim if kind == "dkim" else owner_record.aspf) == "s"
        return bool(await session.bounded("dmarc", aligner.aligned(other, owner_dmarc.from_domain, strict=strict),
                                          []))

    body_present = message.body is not None
    theirs = provider_outcomes(provider)

    ours: list[Outcome] = []
    if e.spf is not None:
        ours.append(Outcome("spf", e.spf.result, e.spf.domain))
    for s in e.dkim:
        ours.append(Outcome("dkim", s.result, s.domain, s.selector, s.header_b, s.reason))
    if e.dmarc is not None:
        ours.append(Outcome("dmarc", e.dmarc.result, e.dmarc.from_domain))
    if e.arc is not None and e.arc.instances:
        ours.append(Outcome("arc", e.arc.cv))
    disagreements = compare(ours, theirs, body_present=body_present)

    # SPF at the boundary: the provider's result at delivery wins over ours now.
    their_spf = next((t for t in theirs if t.method == "spf"), None)
    if e.spf is not None and (claims_owner or not quiet):
        evidence.append(Evidence("spf", e.spf.result,
                                 f"re-checked: {boundary.ip} for {e.spf.domain}"
                                 + (f" (matched {e.spf.mechanism})" if e.spf.mechanism else "")
                                 + (f" - {e.spf.problem}" if e.spf.problem else "")
                                 + (" - that is the sender's own domain, not yours, so this says nothing about "
                                    "your address" if claims_owner and not await dmarc_aligned(e.spf.domain, "spf")
                                    else "")))
    spf_result = their_spf.result if their_spf else (e.spf.result if e.spf else None)
    spf_domain = (their_spf.domain if their_spf and their_spf.domain else (e.spf.domain if e.spf else None))
    if their_spf is not None:
        spf_aligned_pass = spf_result == "pass" and await dmarc_aligned(spf_domain, "spf")
    else:
        spf_aligned_pass = owner_dmarc is not None and owner_dmarc.alignment.spf

    owner_spf = e.owner_spf
    boundary_authorized: bool | None = None
    if owner_spf is not None and owner_spf.result not in ("temperror", "permerror"):
        boundary_authorized = owner_spf.result == "pass"
        if owner_spf is not e.spf:
            evidence.append(Evidence("spf-owner", owner_spf.result,
                                     f"is {boundary.ip} authorized to send for {from_domain}? {owner_spf.result}"))
    elif their_spf is not None and await dmarc_aligned(their_spf.domain, "spf") and their_spf.result != "temperror":
        boundary_authorized = their_spf.result == "pass"

    # DKIM: a pass by us or by the provider for an aligned domain.
    passes: dict[str, None] = {}
    owner_signed = False
    unverifiable = False
    replays: dict[str, None] = {}
    replayed_keys: set[tuple[str | None, str | None]] = set()
    for s in e.dkim:
        is_aligned = await dmarc_aligned(s.domain, "dkim")
        owner_signed = owner_signed or is_aligned
        usable = body_present or s.result != "fail"
        evidence.append(Evidence("dkim", s.result if usable else "unverifiable",
                                 f"re-checked signature d={s.domain} s={s.selector}"
                                 + (f": {s.reason}" if s.reason else "")
                                 + ("" if usable else " (no body was given, the body hash cannot be checked)")))
        unsigned = _unsigned_content(s)
        if is_aligned and s.result == "pass" and unsigned:
            replays.setdefault(f"{s.domain} (selector {s.selector})", None)
            replayed_keys.add((s.domain, s.selector))
            evidence.append(Evidence("dkim-replay", "unsigned-content",
                                     f"the signature d={s.domain} verifies, but {unsigned} is not covered by it: "
                                     "anyone holding a copy of a signed message can add that (RFC 6376 section 8), "
                                     "so it does not vouch for what you see"))
        elif is_aligned and s.result == "pass" and usable:
            passes.setdefault(f"{s.domain} (selector {s.selector})", None)
        if is_aligned and not usable:
            unverifiable = True
    for t in theirs:
        if (t.method == "dkim" and t.result == "pass" and await dmarc_aligned(t.domain, "dkim")
                and (t.domain, t.selector) not in replayed_keys):
            passes.setdefault(f"{t.domain} (selector {t.selector or '?'})", None)
            owner_signed = True
    if not e.dkim and not quiet and not any(t.method == "dkim" and t.result not in ("none",) for t in theirs):
        evidence.append(Evidence("dkim", "none", "the message carries no DKIM signature"))

    # ARC and DMARC.
    arc_pass = (e.arc is not None and e.arc.cv == "pass") or any(
        t.method == "arc" and t.result == "pass" for t in theirs)
    arc_owner = arc_pass and await _aar_owner_pass(message, dmarc_aligned)
    if e.arc is not None and e.arc.instances:
        evidence.append(Evidence("arc", e.arc.cv, f"ARC chain of {e.arc.instances} {'set' if e.arc.instances == 1 else 'sets'}"
                                 + (f": {e.arc.reason}" if e.arc.reason else "")
                                 + ("; its first hop saw the message authenticated for " + str(from_domain)
                                    if arc_owner else "")))
    their_dmarc = next((t for t in theirs if t.method == "dmarc"), None)
    dmarc_result = e.dmarc.result if e.dmarc is not None else (their_dmarc.result if their_dmarc else None)
    if e.dmarc is not None and (claims_owner or not quiet):
        if e.dmarc.result in ("temperror", "permerror"):
            text = (f"could not evaluate DMARC for {e.dmarc.from_domain or 'this message'}: "
                    f"{e.dmarc.reason or 'no reason given'}")
        else:
            yes = {True: "yes", False: "no"}
            text = (f"re-checked for {e.dmarc.from_domain or 'this message'}: policy {e.dmarc.policy or 'none published'}; "
                    f"aligned SPF pass: {yes[e.dmarc.alignment.spf]}, aligned DKIM pass: {yes[e.dmarc.alignment.dkim]}")
        evidence.append(Evidence("dmarc", e.dmarc.result, text))

    temperror = await _temperrors(e, theirs, dmarc_aligned)
    for t in e.timeouts:
        evidence.append(Evidence(t, "timeout", f"the {t.upper()} check did not finish in time (DNS timeout)"))

    # Forwarding traces and the sending path.
    client = _client_name(boundary.hop)
    provider_client = bool(client and host_organization(client) in provider_orgs)
    signs: list[str] = []
    sealers = _arc_sealers(message)
    arc_provider_pass = any(t.method == "arc" and t.result == "pass" for t in theirs)
    sealer_trusted = bool(sealers) and (host_organization(sealers[0]) in provider_orgs or host_organization(sealers[0]) in trusted_sealers)
    if sealers:
        signs.append(f"ARC-sealed by {', '.join(dict.fromkeys(sealers))}")
        if arc_owner and not sealer_trusted and not passes:  # only when the answer rests on the sealer's word
            evidence.append(Evidence(
                "arc-sealer", "unknown",
                f"{sealers[0]} wrote the ARC record of the earlier check; it is not your provider or a sealer "
                "you named with --trusted-sealer, so its word is only as good as {sealers[0]} itself"
                .replace("{sealers[0]}", sealers[0])))
    if boundary.mail_from and _SRS.match(boundary.mail_from):
        signs.append(f"the envelope sender was rewritten by SRS ({boundary.mail_from})")
    if message.get("List-Id") or message.get("List-Post"):
        signs.append(f"mailing list header List-Id: {message.get('List-Id') or message.get('List-Post')}")
    signs += [f"{h}: {message.get(h)}" for h in _FORWARD_HEADERS if message.get(h)]
    if not provider_client:
        earlier = next((h for h in boundary.below if host_organization(h.by_host) in provider_orgs
                        or host_organization(_client_name(h)) in provider_orgs), None)
        if earlier is not None:
            via = earlier.by_host if host_organization(earlier.by_host) in provider_orgs else _client_name(earlier)
            signs.append(f"it left your provider ({via}) and went through {client or boundary.helo} before "
                         "reaching your mailbox")
    submission = _submission_hop(provider_written(message.received, boundary, provider_orgs), provider_orgs)
    account = submission_account(submission, me, owner_domains) if submission is not None else None
    third_party = None
    if claims_owner and (passes or spf_aligned_pass):
        if submission is not None:
            origin = boundary.below[-1] if boundary.below else submission
            whose = {"owner": "your account", "other": "ANOTHER account, not yours",
                     "unknown": "an account your provider did not name"}[account or "unknown"]
            evidence.append(Evidence("submission", f"{account}-account",
                                     f"{submission.by_host} accepted it after a login"
                                     + (f" as {submission.auth_user}" if submission.auth_user else "")
                                     + f" ({submission.protocol or 'authenticated SMTP'}): {whose}"
                                     + (f"; the session came from {origin.ip}" if origin.ip else "")))
        else:
            third_party = _spf_third_party(e.spf if spf_aligned_pass else e.owner_spf, provider_orgs)
            if third_party is None and passes and not _via_provider_spf(e.owner_spf, provider_orgs):
                s = next(iter([s for s in e.dkim if s.result == "pass" and await dmarc_aligned(s.domain, "dkim")]), None)
                if s is not None and boundary_authorized is False:
                    third_party = name_dkim_selector(s.domain, s.selector)
            if third_party:
                evidence.append(Evidence("sender", "third-party", f"sent by {third_party}"))
            elif _via_provider_spf(e.owner_spf, provider_orgs):
                provider_client = True
    for sign in signs:
        evidence.append(Evidence("forwarding", "trace", sign))
    for d in disagreements:
        evidence.append(Evidence(f"crosscheck-{d.method}", "disagree",
                                 f"we found {d.ours}, your provider recorded {d.provider}: {d.explanation}"))
    facts = Facts(
        from_domain=from_domain, claims_owner=claims_owner, from_count=from_count,
        boundary_found=boundary.found and boundary.ip is not None, boundary_method=boundary.method,
        provider_results=provider is not None and bool(theirs), body_present=body_present,
        dkim_aligned_pass=tuple(passes), dkim_owner_signed=owner_signed, dkim_unverifiable=unverifiable,
        spf_aligned_pass=spf_aligned_pass, spf_result=spf_result, spf_domain=spf_domain,
        boundary_authorized=boundary_authorized, dmarc_result=dmarc_result,
        dmarc_policy=e.dmarc.policy if e.dmarc is not None else None, arc_owner_pass=arc_owner,
        arc_provider_pass=arc_provider_pass, arc_sealers=sealers, arc_sealer_trusted=sealer_trusted,
        temperror=tuple(temperror), forwarding_signs=tuple(signs), provider_submission=submission is not None,
        submission_account=account,
        third_party=third_party, provider_client=provider_client, dkim_replay=tuple(replays),
    )
    return facts, disagreements

