"""The verdict decision table of SPEC section 6, as a pure function over collected facts.

The service gathers :class:`Facts` (trust boundary, re-verified and provider
results, look-alikes, bounce analysis); :func:`decide` turns them into one of
the eight verdicts with a confidence, and :func:`summarize` writes the one or
two sentences a worried person reads first.

Order of the table (first match wins):

1. a bounce, delay notice or auto-reply: judge the returned original
   (``bounce`` only if the owner's own DKIM signature on it verifies - its
   quoted Received hops are the forger's text -, ``backscatter`` otherwise,
   ``inconclusive`` when nothing of it came back or DNS failed);
2. the From claims the owner's domain (DMARC RFC 9989 section 4.4, relaxed alignment):
   an aligned DKIM or SPF pass means it left through an authorized server -
   ``forwarded`` when the host at the boundary is not authorized for the domain
   and DKIM/ARC plus forwarding traces show where it came from, else
   ``authentic``; no aligned pass means ``spoofed``, unless DNS failed or the
   evidence is missing (``inconclusive``);
3. the From imitates the owner: ``lookalike``;
4. otherwise ``unrelated``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailwarden.diagnose.lookalike import Lookalike

#: Look-alike kinds that on their own make a high-confidence verdict.
_STRONG_LOOKALIKES = frozenset({"homoglyph", "one-edit", "display-name"})


@dataclass(frozen=True)
class OriginalFacts:
    """What the returned original of a bounce shows (from :class:`Facts` of the original)."""

    present: bool  # header fields of the original came back
    claims_owner: bool  # From or envelope sender of the original is the owner's
    aligned_pass: bool  # the owner's DKIM signature on the original verifies (quoted hops are never proof)
    failed: bool  # SPF at its first external hop fails/softfails for the owner, or its owner DKIM fails
    temperror: bool
    owner_trace: bool  # a Received hop written by the owner's provider
    detail: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything the decision needs; built by :mod:`mailwarden.diagnose.service`."""

    from_domain: str | None  # the owner's domain the From claims, or the first From domain
    claims_owner: bool
    from_count: int
    lookalikes: tuple[Lookalike, ...] = ()
    # where the evidence came from
    boundary_found: bool = False
    boundary_method: str = "none"
    provider_results: bool = False  # a trusted Authentication-Results header was found
    body_present: bool = True
    # the owner's domain: alignment and authorization
    dkim_aligned_pass: tuple[str, ...] = ()  # "example.com (selector mh2026)" per passing aligned signature
    dkim_owner_signed: bool = False  # at least one signature claims the owner's domain
    dkim_unverifiable: bool = False  # an owner signature could not be checked (no body, DNS failure)
    spf_aligned_pass: bool = False
    spf_result: str | None = None  # at the boundary, for the envelope identity
    spf_domain: str | None = None
    boundary_authorized: bool | None = None  # boundary IP authorized by the owner's SPF
    dmarc_result: str | None = None
    dmarc_policy: str | None = None
    arc_owner_pass: bool = False  # a valid ARC chain whose first hop saw an aligned pass
    arc_provider_pass: bool = False  # the provider's own trusted Authentication-Results recorded arc=pass
    arc_sealers: tuple[str, ...] = ()  # d= of the ARC-Seal fields, topmost first
    arc_sealer_trusted: bool = False  # the newest sealer is the provider's own or one the owner trusts
    temperror: tuple[str, ...] = ()  # owner-domain lookups that failed, ours or recorded by the provider
    forwarding_signs: tuple[str, ...] = ()
    provider_submission: bool = False
    third_party: str | None = None
    provider_client: bool = False  # the boundary client is one of the provider's own hosts
    submission_account: str | None = None  # owner | other | unknown: whose login the provider recorded
    from_ambiguity: str | None = None  # why the From can be read as more than one author
    dkim_replay: tuple[str, ...] = ()  # owner signatures that verify but leave visible content unsigned
    # bounces and auto-replies
    notification: str | None = None  # dsn | non-standard | autoreply | ... (None: not a notification)
    bounce_imitation: bool = False  # worded like a bounce without a bounce's structure
    original: OriginalFacts | None = None


@dataclass(frozen=True)
class Decision:
    verdict: str
    confidence: str
    reason: str  # a short key for the summary and tests
    path: str | None = None  # provider-submission | authorized-third-party | forwarder
    missing: tuple[str, ...] = ()


def _decide_notification(f: Facts) -> Decision:
    o = f.original
    what = "auto-reply" if f.notification == "autoreply" else "bounce"
    if o is None or not o.present:
        return Decision("inconclusive", "low", f"{what}-no-original",
                        missing=(f"the original message (the {what} does not quote its headers)",))
    if o.aligned_pass:
        return Decision("bounce", "high", "original-authenticated")
    if o.temperror and not o.failed:
        return Decision("inconclusive", "low", "original-temperror",
                        missing=("DNS answers for the owner's domain (lookups failed)",))
    if o.failed:
        return Decision("backscatter", "high", "original-failed")
    # Quoted hops through the owner's servers (owner_trace) are the forger's text: no proof of a real bounce.
    return Decision("backscatter", "medium", "original-no-trace")


def decide(f: Facts) -> Decision:
    """Apply the decision table (module docstring) to the facts."""
    if f.notification is not None and f.notification != "none" and not f.claims_owner:
        return _decide_notification(f)
    if f.from_count == 0:
        return Decision("inconclusive", "low", "no-from", missing=("the From header",))
    if f.claims_owner:
        return _decide_owner(f)
    if f.lookalikes:
        strong = any(x.kind in _STRONG_LOOKALIKES for x in f.lookalikes)
        return Decision("lookalike", "high" if strong else "medium", "lookalike")
    return Decision("unrelated", "high" if f.from_count == 1 else "medium", "unrelated")


def _decide_owner(f: Facts) -> Decision:
    if f.from_ambiguity is not None:
        # SPEC section 6, "Adversarial input": an author two parsers read differently is never vouched for
        if f.dkim_aligned_pass or f.spf_aligned_pass:
            return Decision("inconclusive", "low", "ambiguous-from",
                            missing=(f"a From field with one reading (this one has {f.from_ambiguity})",))
        return Decision("spoofed", "medium", "ambiguous-from")
    dkim_pass = bool(f.dkim_aligned_pass)
    if dkim_pass or f.spf_aligned_pass:
        outside = f.boundary_authorized is False and not f.provider_client
        if outside and (dkim_pass or f.arc_owner_pass) and (f.forwarding_signs or f.arc_owner_pass):
            confidence = "high" if dkim_pass and f.forwarding_signs else "medium"
            return Decision("forwarded", confidence, "forwarded", path="forwarder")
        if (outside and dkim_pass and not f.spf_aligned_pass and not f.provider_submission
                and f.spf_result not in ("pass",)):
            # SPEC section 6: a signature of the owner's domain delivered by a host nobody authorized, whose
            # envelope does not pass SPF either, is a replay or a forward - never proof with high confidence.
            return Decision("authentic", "low", "dkim-replay-or-forward", path=None)
        if f.provider_submission:
            # SPEC section 6: owner-account needs the provider's record of a login as the owner itself
            path = {"owner": "provider-submission", "other": "other-account"}.get(
                f.submission_account or "", "provider-unknown-account")
        elif f.third_party or outside:
            path = "authorized-third-party"
        else:
            path = "provider-unknown-account" if f.provider_client else None  # no login evidence
        both = dkim_pass and f.spf_aligned_pass
        confidence = "high" if both or (dkim_pass and f.boundary_found) else "medium"
        if not f.boundary_found and not f.provider_results:
            confidence = "low"
        return Decision("authentic", confidence, "aligned-pass", path=path)
    if f.arc_owner_pass and f.boundary_authorized is not True and not f.provider_client:
        # RFC 8617 section 7.2: an intact chain carries the first hop's results past a modifying
        # forwarder. The sealer wrote them: only the provider's arc=pass or a trusted sealer earns medium.
        confidence = "medium" if f.arc_provider_pass or f.arc_sealer_trusted else "low"
        return Decision("forwarded", confidence, "forwarded-arc", path="forwarder")
    missing: list[str] = []
    if f.temperror:
        missing.append(f"DNS answers for {f.from_domain} ({_lookups(f.temperror)} did not answer)")
    if f.dkim_unverifiable and not f.provider_results:
        missing.append("the message body (needed to verify the DKIM signature)" if not f.body_present
                       else "a verifiable DKIM result")
    no_path = not f.boundary_found and not f.provider_results
    if no_path:
        missing.append("the Received header written by your provider (or its Authentication-Results)")
    if f.temperror:
        return Decision("inconclusive", "low", "temperror", missing=tuple(missing))
    if (f.dkim_unverifiable and not f.provider_results) or no_path:
        return Decision("inconclusive", "low", "missing-evidence", missing=tuple(missing))
    strong_fail = f.spf_result in ("fail", "softfail", "neutral", "none") or f.boundary_authorized is False
    if f.dkim_replay:
        # A genuine signature re-sent with content it does not cover (RFC 6376 section 8.15 and l=).
        return Decision("spoofed", "medium", "dkim-replay")
    if f.dkim_owner_signed:
        # A broken owner signature may be a modified genuine message: forgery is likely, not certain.
        return Decision("spoofed", "medium", "no-aligned-pass-signature-failed")
    if strong_fail and (f.provider_results or f.boundary_method in ("trusted-relay", "authserv-id", "owner-mx")):
        return Decision("spoofed", "high", "no-aligned-pass")
    return Decision("spoofed", "medium", "no-aligned-pass")


_LOOKUP_NAMES = {"spf": "the SPF record", "dkim": "the DKIM key", "dmarc": "the DMARC record",
                 "arc": "the ARC keys"}


def _lookups(kinds: tuple[str, ...]) -> str:
    names = [_LOOKUP_NAMES.get(k, k) for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def summarize(d: Decision, f: Facts, owner: str) -> str:
    """The answer first, in one or two plain sentences."""
    domain = f.from_domain or owner
    if d.verdict == "spoofed" and d.reason == "ambiguous-from":
        return (f"Your address was most likely forged: the sender field of this message is built so that "
                f"different programs show different senders, one of them {domain}. Genuine mail is never "
                f"written that way, and nothing vouches that your account sent it.")
    if d.verdict == "spoofed" and d.reason == "dkim-replay":
        return (f"Your address was misused: this message carries a genuine {domain} signature, but the sender "
                f"field, subject or text you see is not covered by it - someone re-sent an old signed message "
                f"with their own content. It does not show that your account sent this message.")
    if d.verdict == "spoofed":
        if d.confidence == "high":
            return (f"Your address was forged: this message claims to come from {domain}, but it was not sent "
                    f"by any server that {domain} authorizes. Your account was not used to send it.")
        why = (f" It carries a {domain} signature that no longer checks out, which can also happen when a "
               "genuine message is changed on the way." if d.reason == "no-aligned-pass-signature-failed" else
               " The evidence points that way but is not complete, so this is not certain.")
        return (f"Your address was most likely forged: this message claims to come from {domain}, but nothing "
                f"shows that a server {domain} authorizes sent it.{why}")
    sure = d.confidence == "high"
    if d.verdict == "authentic" and d.reason == "dkim-replay-or-forward":
        return (f"This message carries a genuine signature of {domain}, but a server that {domain} does not "
                f"authorize delivered it: someone may have re-sent (replayed) a message your domain really "
                f"signed, or it was forwarded. It does not prove that your account sent this copy.")
    if d.verdict == "authentic":
        really = "really was" if sure else "was most likely"
        if d.path == "other-account":
            return (f"This message was sent through your mail provider, but from another account, not yours: "
                    f"someone with their own account there used your address ({domain}). Your account was not "
                    f"used to send it.")
        if d.path == "provider-unknown-account":
            return (f"This message really left through your mail provider's servers and passed authentication "
                    f"for {domain}, but the provider did not record whose account sent it: it may be yours, or "
                    f"another customer of the same provider.")
        if d.path == "provider-submission":
            return (f"This message {really} sent through your account: it was submitted with a login at your "
                    f"mail provider and passed authentication for {domain}. If you did not write it, someone "
                    f"else is using your account.")
        who = f" ({f.third_party})" if f.third_party else ""
        return (f"This message {really} sent by a server authorized for {domain}{who}. If nobody in your "
                f"organization sent it, that account or service is being misused.")
    if d.verdict == "forwarded":
        if d.reason == "forwarded-arc":
            sealer = f.arc_sealers[0] if f.arc_sealers else "the forwarder"
            text = (f"This looks like a genuine {domain} message passed on by a forwarder or mailing list "
                    f"({sealer}). The list changed it, so its own signature no longer checks, but {sealer} "
                    f"recorded that it passed authentication for {domain} when it arrived there.")
            if not f.arc_sealer_trusted:
                text += (f" That record is only as trustworthy as {sealer}: if you do not know {sealer} or "
                         "are not subscribed to it, treat the message as forged.")
            return text
        if sure:
            return (f"This is a genuine {domain} message that reached you through a forwarder, alias or "
                    "mailing list; nothing was forged.")
        return (f"This is most likely a genuine {domain} message that reached you through a forwarder, alias "
                "or mailing list.")
    if d.verdict == "backscatter":
        if sure:
            return ("This is backscatter: a bounce or auto-reply about a message you never sent. Someone forged "
                    "your address on spam; the receiving server then replied to you.")
        return ("This is most likely backscatter: a bounce or auto-reply about a message you did not send. The "
                "returned message shows no trace of your mail provider, so someone probably forged your "
                "address on spam and the receiving server replied to you.")
    if d.verdict == "bounce":
        if sure:
            return ("This is a real bounce: the returned message was sent from your account, and the receiving "
                    "server could not deliver it.")
        return ("This is probably a real bounce: the returned message passed through your mail provider, but "
                "its authentication could not be confirmed, and the receiving server could not deliver it.")
    if d.verdict == "lookalike":
        ranked = sorted(f.lookalikes, key=lambda x: x.kind == "display-name")
        what = ranked[0].detail if ranked else "the sender imitates your domain"
        if sure:
            return (f"This message imitates you but does not come from your domain: {what}. Your account was "
                    "not used.")
        return (f"This message probably imitates you; it does not come from your domain: {what}. Your account "
                "was not used.")
    if d.verdict == "unrelated":
        return f"This message does not claim to come from you ({domain or 'no sender'}); it is ordinary mail or spam."
    if d.reason == "temperror":
        return (f"We cannot tell yet whether this message was forged or really sent: the DNS lookups it "
                f"depends on ({_lookups(f.temperror)} of {domain}) did not answer. This is usually "
                "temporary; run the same check again later.")
    reason = "; ".join(d.missing) if d.missing else "the evidence is incomplete"
    return f"We cannot tell whether this message was forged or really sent. Missing: {reason}."
