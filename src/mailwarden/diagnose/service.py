"""``diagnose_message``: "was my account used, or was my address forged?" (SPEC section 6).

The service never prints.  It

1. finds the trust boundary (:mod:`~mailwarden.diagnose.boundary`) and the
   provider's trusted Authentication-Results (:mod:`~mailwarden.diagnose.crosscheck`);
2. re-runs SPF (RFC 7208) for the boundary hop, every DKIM signature (RFC 6376),
   ARC (RFC 8617) and DMARC (RFC 9989) with the engine, concurrently and under a
   deadline, and compares them with the provider's results;
3. reads bounces and auto-replies with :func:`mailwarden.bounces.analyze_bounce`
   and judges the returned original;
4. looks for look-alikes, decides (:mod:`~mailwarden.diagnose.verdict`) and
   writes advice (:mod:`~mailwarden.diagnose.advice`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from mailwarden.diagnose.advice import Posture, advise
from mailwarden.diagnose.boundary import TrustedRelays, find_boundary, is_local_address, parse_trusted_relays
from mailwarden.diagnose.crosscheck import Outcome, compare, provider_outcomes, select_trusted
from mailwarden.diagnose.lookalike import find_lookalikes, is_owner_domain
from mailwarden.diagnose.results import Boundary, Diagnosis, Evidence
from mailwarden.diagnose.thirdparty import name_dkim_selector, name_spf_include
from mailwarden.diagnose.verdict import Facts, OriginalFacts, decide, summarize
from mailwarden.dns.base import Resolver
from mailwarden.errors import InputError
from mailwarden.message.addresses import Address
from mailwarden.message.authres import AuthenticationResults, parse_authentication_results
from mailwarden.message.model import Message
from mailwarden.message.received import ReceivedHop

T = TypeVar("T")

#: Seconds allowed for each engine step (SPF, DKIM, ARC, DMARC) before it counts as a DNS timeout.
STEP_TIMEOUT = 45.0
_SRS = re.compile(r"^SRS[01][=+-]", re.I)
_AAR_INSTANCE = re.compile(r"^\s*i\s*=\s*([0-9]{1,2})\s*;", re.I)
_FORWARD_HEADERS = ("X-Forwarded-To", "X-Forwarded-For", "X-Original-To", "Resent-From", "X-Resent-From")


@dataclass(frozen=True)
class _Engines:
    """Our re-verification of one message (None: not run, or timed out)."""

    spf: Any
    owner_spf: Any  # SPF of the boundary IP for the owner's From domain
    dkim: tuple[Any, ...]
    arc: Any
    dmarc: Any
    policy: Any  # DMARC policy discovery for the owner's domain
    timeouts: tuple[str, ...]


async def _guard(step: str, job: Awaitable[T], timeouts: list[str]) -> T | None:
    try:
        return await asyncio.wait_for(job, STEP_TIMEOUT)
    except TimeoutError:
        timeouts.append(step)
        return None


def _org(domain: str | None) -> str | None:
    if not domain:
        return None
    from mailwarden.dns.base import to_a_label
    from mailwarden.psl import organizational_domain

    domain = to_a_label(domain.lower().rstrip("."))  # RFC 8616: compare internationalized names as A-labels
    return organizational_domain(domain) or domain


def aligned(domain: str | None, from_domain: str | None) -> bool:
    """Relaxed identifier alignment (RFC 9989 section 4.4, RFC 7489 section 3.1): same organizational domain."""
    if not domain or not from_domain:
        return False
    return _org(domain) == _org(from_domain)


def _domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rpartition("@")[2].lower().rstrip(">").strip() or None


async def _run_engines(
    resolver: Resolver, message: Message, boundary: Boundary, from_domain: str | None,
    owner_claimed: bool, policy_domain: str | None, now: float | None,
) -> _Engines:
    from mailwarden.arc.verify import verify_chain
    from mailwarden.dkim import verify_message
    from mailwarden.dkim.keys import KeyCache
    from mailwarden.dkim.verify import MessageContext
    from mailwarden.dmarc import discover_policy, evaluate_dmarc
    from mailwarden.spf import evaluate_spf

    timeouts: list[str] = []
    ip, helo = boundary.ip, boundary.helo or ""
    envelope_domain = _domain_of(boundary.mail_from)
    jobs: dict[str, Awaitable[Any]] = {}
    if ip and boundary.mail_from is not None:
        jobs["spf"] = evaluate_spf(resolver, ip, boundary.mail_from, helo, receiver=boundary.receiver, now=now)
    if ip and from_domain and owner_claimed and envelope_domain != from_domain:
        jobs["owner_spf"] = evaluate_spf(resolver, ip, f"postmaster@{from_domain}", helo,
                                         receiver=boundary.receiver, now=now)
    keys, context = KeyCache(), MessageContext(message)  # DKIM and ARC fetch each key once
    if message.header_fields("DKIM-Signature"):
        jobs["dkim"] = verify_message(resolver, message, now=now, key_cache=keys, context=context)
    # cv=none at once when there is no chain
    jobs["arc"] = verify_chain(resolver, message, now=now, key_cache=keys, context=context)
    if policy_domain:
        jobs["policy"] = discover_policy(resolver, policy_domain)
    steps = {"owner_spf": "spf", "policy": "dmarc"}
    values = await asyncio.gather(*(_guard(steps.get(k, k), j, timeouts) for k, j in jobs.items()))
    got = dict(zip(jobs, values, strict=True))
    spf, owner_spf, dkim, arc, policy = (got.get(k) for k in ("spf", "owner_spf", "dkim", "arc", "policy"))
    if owner_spf is None and spf is not None and envelope_domain == from_domain:
        owner_spf = spf
    dmarc = await _guard("dmarc", evaluate_dmarc(resolver, message, spf, dkim or ()), timeouts)
    return _Engines(spf, owner_spf, tuple(dkim or ()), arc, dmarc, policy, tuple(dict.fromkeys(timeouts)))


# --------------------------------------------------------------------------- auth report (check's shape)
#: authserv-id of our own re-verification line (not the provider's: we do not speak for it).
OWN_AUTHSERV_ID = "mailwarden"


class _NotRun:
    """Stands in for an ARC or DMARC result that timed out, in check's JSON shape."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_json(self) -> dict[str, Any]:
        return dict(self._data)



def auth_report(message: Message, boundary: Boundary, e: _Engines) -> dict[str, Any]:
    """The ``auth`` object, built by the same code as ``mailwarden check`` (SPEC section 5).

    The envelope is the trust boundary's (not check's topmost-hop guess), and the
    Authentication-Results line is our re-verification under :data:`OWN_AUTHSERV_ID`.
    """
    from mailwarden.auth.report import AuthReport as CheckResult
    from mailwarden.auth.report import Envelope
    from mailwarden.authres.build import build_authentication_results
    from mailwarden.authres.trust import untrusted_claims

    hop = boundary.hop
    envelope = Envelope(
        boundary.ip, boundary.helo, boundary.mail_from,
        "received" if boundary.ip else None, "received" if boundary.helo else None,
        "return-path" if message.return_path is not None else ("received" if boundary.mail_from else None),
        hop.index if hop is not None else None,
    )
    skipped = None if e.spf is not None else (
        "SPF not checked: " + ("it timed out" if "spf" in e.timeouts else
                               "no connecting IP and envelope sender at the trust boundary"))
    header = build_authentication_results(
        OWN_AUTHSERV_ID, spf=e.spf if e.spf is not None else {"result": "none"}, dkim=e.dkim, dmarc=e.dmarc,
        arc=e.arc, mail_from=boundary.mail_from, helo=boundary.helo)
    arc = e.arc if e.arc is not None else _NotRun({"cv": "none", "instances": 0, "failed_instance": None,
                                                   "reason": "not checked: it timed out"})
    dmarc = e.dmarc if e.dmarc is not None else _NotRun({
        "result": "temperror", "from_domain": None, "organizational_domain": None, "policy": None,
        "applied_policy": None, "alignment": {"spf": False, "dkim": False}, "record": None,
        "reason": "not checked: it timed out"})
    check = CheckResult(e.spf, skipped, e.dkim, arc, dmarc, header, envelope,
                        untrusted_claims(message, OWN_AUTHSERV_ID), OWN_AUTHSERV_ID)
    return check.to_json()


# --------------------------------------------------------------------------- small readers
def _aar_owner_pass(message: Message, from_domain: str | None) -> bool:
    """The first ARC hop (i=1) saw an aligned DKIM or SPF pass for the From domain (RFC 8617 section 4.1.1)."""
    for value in message.get_all("ARC-Authentication-Results")[:50]:
        m = _AAR_INSTANCE.match(value)
        if not m or m.group(1) != "1":
            continue
        ar = parse_authentication_results(value[m.end():])
        for r in ar.results:
            if r.result != "pass":
                continue
            if r.method == "dkim" and aligned(r.get("header.d"), from_domain):
                return True
            if r.method == "spf" and aligned(_domain_of(r.get("smtp.mailfrom")), from_domain):
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
        by_provider = (client is not None and _org(client) in provider_orgs) or (
            current.tcp_info and is_local_address(current.ip)) or (current.ip is None and current.from_host is None)
        if not by_provider:
            break
        trusted.append(hop)
        current = hop
    return trusted


def _submission_hop(hops: Iterable[ReceivedHop], provider_orgs: set[str]) -> ReceivedHop | None:
    """A provider-written hop where the provider accepted an authenticated submission (ESMTPSA, "Authenticated sender")."""
    for hop in hops:
        if hop.authenticated and hop.by_host and _org(hop.by_host) in provider_orgs:
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


def _spf_third_party(spf: Any, provider_orgs: set[str]) -> str | None:
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
        if _org(target) in provider_orgs:
            return None
        return name_spf_include(target)
    return None


def _via_provider_spf(spf: Any, provider_orgs: set[str]) -> bool:
    if spf is None or spf.result != "pass":
        return False
    return any(_org(s.target) in provider_orgs for s in spf.chain if s.kind == "include") or (
        _org(spf.matched_domain) in provider_orgs)


# --------------------------------------------------------------------------- the returned original of a bounce
async def _original_facts(
    resolver: Resolver, original: Message | None, owner_domains: Sequence[str], provider_orgs: set[str],
    now: float | None, evidence: list[Evidence],
) -> OriginalFacts:
    if original is None:
        evidence.append(Evidence("original", "missing", "the notification does not include the original message"))
        return OriginalFacts(False, False, False, False, False, False)
    from mailwarden.dkim import verify_message
    from mailwarden.spf import evaluate_spf

    froms = [a for a in original.from_addresses if a.domain]
    owner_from = next((a for a in froms if is_owner_domain(a.domain, owner_domains)), None)
    envelope = original.return_path
    claims = owner_from is not None or bool(envelope and is_owner_domain(_domain_of(envelope) or "", owner_domains))
    domain = owner_from.domain if owner_from else (_domain_of(envelope) or (owner_domains[0] if owner_domains else None))
    boundary = find_boundary(original)
    timeouts: list[str] = []
    spf = None
    if boundary.ip and domain:
        spf = await _guard("spf", evaluate_spf(resolver, boundary.ip, f"postmaster@{domain}", boundary.helo or "",
                                               now=now), timeouts)
    dkim = ()
    if original.header_fields("DKIM-Signature"):
        dkim = await _guard("dkim", verify_message(resolver, original, now=now), timeouts) or ()
    owner_sigs = [s for s in dkim if aligned(s.domain, domain)]
    # The quoted original's Received hops are whoever wrote it; only the owner's own signature that
    # verifies (and covers the From) proves the owner sent it (issue 14, class 5).
    dkim_pass = [s for s in owner_sigs if s.result == "pass" and s.covers_displayed_from]
    spf_word = spf.result if spf is not None else None
    temperror = bool(timeouts) or spf_word == "temperror" or any(s.result == "temperror" for s in owner_sigs)
    trace_host = None
    for h in original.received:
        for host in (h.by_host, _client_name(h) or h.from_host):
            if host and _org(host) in provider_orgs:
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


# --------------------------------------------------------------------------- the service
async def diagnose_message(
    resolver: Resolver,
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
    """
    addresses = [a.strip().lower() for a in me if a.strip()]
    for a in addresses:
        if "@" not in a or not a.rpartition("@")[2]:
            raise InputError(f"--me {a!r} is not an e-mail address")
    owner_domains = list(dict.fromkeys(
        [d.strip().lower().rstrip(".") for d in domains if d.strip()] + [a.rpartition("@")[2] for a in addresses]))
    if not owner_domains:
        raise InputError("name the owner with --me ADDRESS or --domain DOMAIN")
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
                                 f"your provider's server {boundary.receiver} received it from {boundary.ip or 'an unknown address'}"
                                 f" (HELO {boundary.helo or 'unknown'}), envelope sender "
                                 f"<{boundary.mail_from if boundary.mail_from is not None else '?'}>"
                                 + (f"; {boundary.note}" if boundary.note else "")))
    else:
        evidence.append(Evidence("boundary", "missing", boundary.note or "no Received header from your provider"))
    provider_orgs = {o for o in (_org(h) for h in [*ids, *relays.names, *(s.lstrip(".") for s in relays.suffixes),
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
            original_facts = await _original_facts(resolver, original_msg, owner_domains, provider_orgs, now,
                                                   evidence)

    posture_domain = from_domain if claimed else owner_domains[0]
    engines = await _run_engines(resolver, message, boundary, from_domain, bool(claimed), posture_domain, now)
    facts, disagreements = _facts(message, boundary, provider, engines, from_domain, bool(claimed),
                                  owner_domains, provider_orgs, len(froms), evidence,
                                  quiet=notification is not None, me=addresses,
                                  trusted_sealers=frozenset(o for o in (_org(t) for t in trusted_sealers) if o))
    lookalikes = find_lookalikes(froms, addresses, owner_domains) if not claimed else ()
    for x in lookalikes:
        evidence.append(Evidence("lookalike", x.kind, x.detail))
    from dataclasses import replace

    facts = replace(facts, lookalikes=lookalikes, notification=notification, original=original_facts,
                    bounce_imitation=imitation, from_ambiguity=from_field.ambiguity)
    decision = decide(facts)
    posture = _posture(engines, posture_domain, _allowlist_hits(allowlist, addresses, owner_domains))
    if posture.allowlisted:
        evidence.append(Evidence("allowlist", "owner-allowlisted",
                                 "your own address/domain is allowlisted: " + ", ".join(posture.allowlisted[:3])))
    owner_label = addresses[0] if addresses else owner_domains[0]
    auth = auth_report(message, boundary, engines)
    return Diagnosis(
        verdict=decision.verdict,
        confidence=decision.confidence,
        summary=summarize(decision, facts, owner_label),
        evidence=tuple(evidence),
        advice=advise(decision, facts, posture),
        auth=auth,
        boundary=boundary,
        sending_path=decision.path,
        third_party=facts.third_party if decision.verdict == "authentic" else None,
        lookalikes=lookalikes,
        disagreements=disagreements,
        missing=decision.missing,
        claimed=tuple(a.address for a in claimed),
    )


def _posture(engines: _Engines, domain: str | None, allowlisted: tuple[str, ...]) -> Posture:
    policy = engines.policy
    known = policy is not None and policy.status in ("found", "none")
    record = policy.record_text if policy is not None and policy.status == "found" else None
    p = None
    if policy is not None and policy.status == "found" and policy.record is not None:
        p = policy.record.effective_p() if policy.at_domain else (policy.record.sp or policy.record.effective_p())
    spf_all = None
    spf = engines.owner_spf
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


def _temperrors(e: _Engines, theirs: Sequence[Outcome], from_domain: str | None) -> tuple[str, ...]:
    """Owner-domain lookups that did not answer: ours, unless the provider recorded a definite
    result for that method at delivery, and the provider's own recorded temperrors (RFC 8601 section 2.7)."""
    ours: list[str] = []
    if "spf" in e.timeouts or (e.owner_spf is not None and e.owner_spf.result == "temperror") or (
            e.spf is not None and e.spf.result == "temperror" and aligned(e.spf.domain, from_domain)):
        ours.append("spf")
    if "dkim" in e.timeouts or any(s.result == "temperror" and aligned(s.domain, from_domain) for s in e.dkim):
        ours.append("dkim")
    if "dmarc" in e.timeouts or (e.policy is not None and e.policy.status == "temperror") or (
            e.dmarc is not None and e.dmarc.result == "temperror"):
        ours.append("dmarc")
    if "arc" in e.timeouts:
        ours.append("arc")

    def relevant(t: Outcome) -> bool:
        if t.method == "spf":
            return t.domain is None or aligned(t.domain, from_domain)
        return t.method == "dmarc" or (t.method == "dkim" and aligned(t.domain, from_domain))

    definite = {t.method for t in theirs if relevant(t) and t.result not in ("temperror", "none")}
    if any(t.method == "dmarc" and t.result in ("pass", "fail") for t in theirs):
        definite |= {"spf", "dkim"}  # the provider's DMARC result already weighed aligned SPF and DKIM
    recorded = [t.method for t in theirs if relevant(t) and t.result == "temperror"]
    kept = [m for m in ours if m not in definite or m == "arc"] + recorded
    return tuple(dict.fromkeys(m for m in ("spf", "dkim", "dmarc", "arc") if m in kept))


def _facts(
    message: Message, boundary: Boundary, provider: AuthenticationResults | None, e: _Engines,
    from_domain: str | None, claims_owner: bool, owner_domains: Sequence[str], provider_orgs: set[str],
    from_count: int, evidence: list[Evidence], *, quiet: bool = False, trusted_sealers: frozenset[str] = frozenset(),
    me: Sequence[str] = (),
) -> tuple[Facts, tuple[Any, ...]]:
    from mailwarden.dmarc.evaluate import domain_result_for, identifier_aligned

    body_present = message.body is not None
    theirs = provider_outcomes(provider)
    # Identifier alignment is the DMARC evaluation's own (adkim/aspf, psd, tree walk): one definition,
    # so the verdict never contradicts the DMARC result it quotes.
    owner_dmarc = domain_result_for(e.dmarc, from_domain)

    def dmarc_aligned(other: str | None, kind: str) -> bool:
        return identifier_aligned(owner_dmarc, other, kind)

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
                                    "your address" if claims_owner and not dmarc_aligned(e.spf.domain, "spf")
                                    else "")))
    spf_result = their_spf.result if their_spf else (e.spf.result if e.spf else None)
    spf_domain = (their_spf.domain if their_spf and their_spf.domain else (e.spf.domain if e.spf else None))
    if their_spf is not None:
        spf_aligned_pass = spf_result == "pass" and dmarc_aligned(spf_domain, "spf")
    else:
        spf_aligned_pass = owner_dmarc is not None and owner_dmarc.alignment.spf

    owner_spf = e.owner_spf
    boundary_authorized: bool | None = None
    if owner_spf is not None and owner_spf.result not in ("temperror", "permerror"):
        boundary_authorized = owner_spf.result == "pass"
        if owner_spf is not e.spf:
            evidence.append(Evidence("spf-owner", owner_spf.result,
                                     f"is {boundary.ip} authorized to send for {from_domain}? {owner_spf.result}"))
    elif their_spf is not None and dmarc_aligned(their_spf.domain, "spf") and their_spf.result != "temperror":
        boundary_authorized = their_spf.result == "pass"

    # DKIM: a pass by us or by the provider for an aligned domain.
    passes: dict[str, None] = {}
    owner_signed = False
    unverifiable = False
    replays: dict[str, None] = {}
    replayed_keys: set[tuple[str | None, str | None]] = set()
    for s in e.dkim:
        is_aligned = dmarc_aligned(s.domain, "dkim")
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
        if (t.method == "dkim" and t.result == "pass" and dmarc_aligned(t.domain, "dkim")
                and (t.domain, t.selector) not in replayed_keys):
            passes.setdefault(f"{t.domain} (selector {t.selector or '?'})", None)
            owner_signed = True
    if not e.dkim and not quiet and not any(t.method == "dkim" and t.result not in ("none",) for t in theirs):
        evidence.append(Evidence("dkim", "none", "the message carries no DKIM signature"))

    # ARC and DMARC.
    arc_pass = (e.arc is not None and e.arc.cv == "pass") or any(
        t.method == "arc" and t.result == "pass" for t in theirs)
    arc_owner = arc_pass and _aar_owner_pass(message, from_domain)
    if e.arc is not None and e.arc.instances:
        evidence.append(Evidence("arc", e.arc.cv, f"ARC chain of {e.arc.instances} {'set' if e.arc.instances == 1 else 'sets'}"
                                 + (f": {e.arc.reason}" if e.arc.reason else "")
                                 + ("; its first hop saw the message authenticated for " + str(from_domain)
                                    if arc_owner else "")))
    their_dmarc = next((t for t in theirs if t.method == "dmarc"), None)
    dmarc_result = e.dmarc.result if e.dmarc is not None else (their_dmarc.result if their_dmarc else None)
    if e.dmarc is not None and (claims_owner or not quiet):
        if e.dmarc.result in ("temperror", "permerror"):
            text = f"could not evaluate DMARC for {e.dmarc.from_domain}: {e.dmarc.reason}"
        else:
            yes = {True: "yes", False: "no"}
            text = (f"re-checked for {e.dmarc.from_domain}: policy {e.dmarc.policy or 'none published'}; "
                    f"aligned SPF pass: {yes[e.dmarc.alignment.spf]}, aligned DKIM pass: {yes[e.dmarc.alignment.dkim]}")
        evidence.append(Evidence("dmarc", e.dmarc.result, text))

    temperror = _temperrors(e, theirs, from_domain)
    for t in e.timeouts:
        evidence.append(Evidence(t, "timeout", f"the {t.upper()} check did not finish in time (DNS timeout)"))

    # Forwarding traces and the sending path.
    client = _client_name(boundary.hop)
    provider_client = bool(client and _org(client) in provider_orgs)
    signs: list[str] = []
    sealers = _arc_sealers(message)
    arc_provider_pass = any(t.method == "arc" and t.result == "pass" for t in theirs)
    sealer_trusted = bool(sealers) and (_org(sealers[0]) in provider_orgs or _org(sealers[0]) in trusted_sealers)
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
        earlier = next((h for h in boundary.below if _org(h.by_host) in provider_orgs
                        or _org(_client_name(h)) in provider_orgs), None)
        if earlier is not None:
            via = earlier.by_host if _org(earlier.by_host) in provider_orgs else _client_name(earlier)
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
                s = next((s for s in e.dkim if s.result == "pass" and dmarc_aligned(s.domain, "dkim")), None)
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

