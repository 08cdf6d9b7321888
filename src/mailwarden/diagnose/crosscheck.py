"""Re-verification against the provider's Authentication-Results (RFC 8601).

The trusted Authentication-Results header records what the owner's provider
saw at delivery; our re-verification sees the message and DNS as they are now.
They can disagree for honest reasons, which :func:`compare` names:

* a DKIM key rotated or removed since delivery (RFC 6376 section 3.6.2: the key
  is fetched at verification time) - replay a ``--dns-record`` snapshot taken
  when the mail arrived, or trust the provider's result;
* a body that was not pasted, or changed after delivery (a footer, re-encoding
  by a mail client);
* an SPF record changed since delivery, or DNS failing now (temperror).

Which header is trusted is decided here too (:func:`select_trusted`): only
fields whose authserv-id is trusted (RFC 8601 section 5) and that sit above the
boundary Received header; same-id fields below it were written by the sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailwarden.diagnose.results import Disagreement
from mailwarden.message.authres import AuthenticationResults
from mailwarden.message.model import Message


@dataclass(frozen=True, slots=True)
class Outcome:
    """One result of one method, ours or the provider's, in comparable form."""

    method: str  # spf | dkim | dmarc | arc
    result: str
    domain: str | None = None  # spf: MAIL FROM domain, dkim: d=, dmarc: From domain
    selector: str | None = None
    b: str | None = None  # first characters of the DKIM b= value (RFC 8601 section 2.7.1 header.b)
    reason: str | None = None


@dataclass(frozen=True)
class TrustedResults:
    """The provider's header that is trusted, and the ones that were set aside."""

    header: AuthenticationResults | None
    ignored: tuple[tuple[AuthenticationResults, str], ...]  # (header, why it is not trusted)
    conflicting: tuple[AuthenticationResults, ...] = ()


def select_trusted(
    message: Message, trusted_ids: Sequence[str], boundary_position: int | None
) -> TrustedResults:
    """The provider's Authentication-Results: trusted authserv-id and above the boundary.

    With several candidates, the one nearest above the boundary Received header
    is the one the boundary host wrote; others with different results are
    reported as conflicting.
    """
    ids = {i.lower().rstrip(".") for i in trusted_ids}
    candidates: list[tuple[int, AuthenticationResults]] = []
    ignored: list[tuple[AuthenticationResults, str]] = []
    parsed = iter(message.authentication_results)
    for position, header in enumerate(message.headers):
        if header.lname != "authentication-results":
            continue
        ar = next(parsed)
        authserv = ar.authserv_id.lower().rstrip(".")
        if authserv not in ids:
            ignored.append((ar, f"authserv-id {ar.authserv_id or '(none)'} is not one you trust"))
        elif boundary_position is not None and position > boundary_position:
            ignored.append((ar, f"it claims {ar.authserv_id} but sits below the header where your provider "
                                "received the message: the sender wrote it (forged)"))
        else:
            candidates.append((position, ar))
    if not candidates:
        return TrustedResults(None, tuple(ignored))
    chosen = candidates[-1][1]  # nearest above the boundary (lowest in the header block)
    key = _summary(chosen)
    conflicting = tuple(ar for _, ar in candidates[:-1] if _summary(ar) != key)
    return TrustedResults(chosen, tuple(ignored), conflicting)


def _summary(ar: AuthenticationResults) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((r.method, r.result) for r in ar.results if r.method in ("spf", "dkim", "dmarc", "arc")))


def provider_outcomes(ar: AuthenticationResults | None) -> tuple[Outcome, ...]:
    """The provider's spf/dkim/dmarc/arc results as :class:`Outcome` values."""
    if ar is None:
        return ()
    out: list[Outcome] = []
    for r in ar.results:
        if r.method == "spf":
            mailfrom = r.get("smtp.mailfrom") or ""
            domain = mailfrom.rpartition("@")[2] if mailfrom else (r.get("smtp.helo") or None)
            out.append(Outcome("spf", r.result, domain.lower() if domain else None, reason=r.comment))
        elif r.method == "dkim":
            d = r.get("header.d") or (r.get("header.i") or "").rpartition("@")[2] or None
            out.append(Outcome("dkim", r.result, d.lower() if d else None, r.get("header.s"),
                               r.get("header.b"), r.reason or r.comment))
        elif r.method == "dmarc":
            d = r.get("header.from")
            out.append(Outcome("dmarc", r.result, d.lower() if d else None, reason=r.comment))
        elif r.method == "arc":
            out.append(Outcome("arc", r.result, reason=r.comment))
    return tuple(out)


def _match_dkim(ours: Outcome, theirs: Sequence[Outcome]) -> Outcome | None:
    if ours.b:
        for t in theirs:
            if t.b and len(t.b) >= 6 and (ours.b.startswith(t.b) or t.b.startswith(ours.b)):
                return t
    for t in theirs:
        if t.domain == ours.domain and (t.selector is None or t.selector == ours.selector):
            return t
    return None


def _dkim_explanation(ours: Outcome, theirs: Outcome, body_present: bool) -> str:
    reason = (ours.reason or "").lower()
    if theirs.result == "pass" and ours.result != "pass":
        if not body_present:
            return "the body was not included (headers-only paste), so the signature cannot be re-checked; the provider's result at delivery stands"
        if ours.result == "temperror":
            return "DNS for the key failed now; the provider's result at delivery stands"
        if ours.result == "permerror" and any(w in reason for w in ("no key", "not found", "nxdomain", "revoked", "missing", "no record", "does not exist")):
            return ("the DKIM key was removed or rotated since delivery; the provider verified it when the "
                    "message arrived (replay with a --dns-record snapshot taken at delivery)")
        if "body" in reason:
            return "the body changed after delivery (a footer, re-encoding by a mail client or the copy itself)"
        return "the key or the message changed since delivery; the provider's result at delivery stands"
    if ours.result == "pass" and theirs.result != "pass":
        return "the signature verifies now but did not at delivery (a key published later, or a DNS failure then)"
    return "the results differ; the provider saw the message and DNS at delivery time"


def compare(
    ours: Sequence[Outcome], theirs: Sequence[Outcome], *, body_present: bool = True
) -> tuple[Disagreement, ...]:
    """Where our re-verification and the provider's recorded results differ, and the likely reason."""
    found: list[Disagreement] = []
    their_dkim = [t for t in theirs if t.method == "dkim" and t.result != "none"]
    for o in ours:
        if o.method == "dkim":
            t = _match_dkim(o, their_dkim)
            if t is None:
                if their_dkim or any(x.method == "dkim" for x in theirs):
                    found.append(Disagreement("dkim", f"{o.result} (d={o.domain} s={o.selector})", "not reported",
                                              "the provider did not report this signature (added after delivery, or ignored)"))
                continue
            if t.result != o.result:
                found.append(Disagreement("dkim", f"{o.result} (d={o.domain} s={o.selector})",
                                          f"{t.result} (d={t.domain})", _dkim_explanation(o, t, body_present)))
            continue
        t = next((x for x in theirs if x.method == o.method), None)
        if t is None or t.result == o.result:
            continue
        if o.result == "temperror":
            why = "DNS failed now; the provider's result at delivery stands"
        elif o.method == "spf":
            why = ("the SPF record changed since delivery, or the provider checked another identity "
                   f"({t.domain or 'unknown'} vs {o.domain or 'unknown'})" if t.domain != o.domain or t.result != o.result
                   else "the SPF record changed since delivery")
        elif o.method == "dmarc":
            why = "follows from the SPF/DKIM differences above, or the DMARC record changed since delivery"
        else:
            why = "the chain was evaluated at another point in time or by another hop"
        found.append(Disagreement(o.method, o.result, t.result, why))
    return tuple(found)
