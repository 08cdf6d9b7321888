"""ARC sealing (RFC 8617 section 5.1): add ARC-Authentication-Results, ARC-Message-Signature
and ARC-Seal for the next instance."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mailwarden.arc.headers import MAX_INSTANCE, ArcSet, collect_sets
from mailwarden.dkim.canon import HeaderIndex, hash_body, relaxed_header
from mailwarden.dkim.crypto import load_private_key
from mailwarden.dkim.sign import DEFAULT_HEADERS, signature_header
from mailwarden.dkim.signature import check_domain
from mailwarden.errors import InputError, RecordSyntaxError
from mailwarden.message.model import Header, Message


def split_results(value: str) -> list[str]:
    """Split an Authentication-Results value at ``;`` outside comments and quoted strings
    (RFC 8601 section 2.2), white space folded; the first piece is the authserv-id."""
    pieces, cur, depth, quoted, escaped = [], [], 0, False, False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"' and not depth:
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == ";" and not depth:
            pieces.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    pieces.append("".join(cur))
    return [" ".join(p.split()) for p in pieces]


def authserv_results(message: Message, authserv_id: str) -> tuple[str, list[str]] | None:
    """The authserv-id piece and the results of every Authentication-Results field
    of this authserv-id, in header order (the consolidation of the ARC test suite).

    Only fields above the most recent ARC set count: those below it were added
    before that set was sealed (an earlier pass through the same ADMD)."""
    head: str | None = None
    results: list[str] = []
    for h in message.headers:
        if h.lname in ("arc-seal", "arc-message-signature", "arc-authentication-results"):
            break
        if h.lname != "authentication-results":
            continue
        pieces = split_results(h.value)
        first = pieces[0]
        if (first.split() or [""])[0].lower() != authserv_id.lower():
            continue
        head = head or first
        results += [p for p in pieces[1:] if p and p.lower() != "none"]
    return None if head is None else (head, results)


def chain_state_from_results(results: Sequence[str]) -> str | None:
    """The arc= result the local A-R records (none/pass/fail), if any."""
    words = [r.split("=", 1)[1].split()[0].lower() for r in results
             if r.lower().startswith("arc=") and len(r) > 4]
    if not words:
        return None
    if len(words) > 1 or words[0] not in ("none", "pass", "fail"):
        return "fail"
    return words[0]


@dataclass(frozen=True)
class ArcSealFields:
    """The new ARC set: each field is raw bytes ending in CRLF; prepend ``as_bytes()``."""

    instance: int
    cv: str
    seal: bytes
    message_signature: bytes
    authentication_results: bytes

    def as_bytes(self) -> bytes:
        return self.seal + self.message_signature + self.authentication_results


def seal(
    message: Message,
    domain: str,
    selector: str,
    private_key_pem: bytes,
    authserv_id: str,
    *,
    cv: str | None = None,
    headers: Sequence[str] | None = None,
    now: float | None = None,
    standard_format: bool = False,
) -> ArcSealFields | None:
    """Seal ``message`` (RFC 8617 section 5.1); None when the latest ARC-Seal already
    says cv=fail (a failed chain is not extended).

    The AAR copies the results of the Authentication-Results fields of ``authserv_id``.
    ``cv`` is the chain state this sealer found; when omitted it is the ``arc=`` result
    of those fields, or ``none`` for a message without ARC sets. With ``cv="fail"`` the
    seal covers only the new set (section 5.1.2). ``standard_format`` writes the tags
    sorted on one line (the ARC test suite's format); otherwise they are folded.
    Raises :class:`InputError` when the message cannot be sealed.
    """
    found = authserv_results(message, authserv_id)
    if found is None:
        raise InputError(f"no Authentication-Results header with authserv-id {authserv_id!r} to copy into the AAR")
    head, results = found
    structure = collect_sets(message)
    if structure.error:
        existing: tuple[ArcSet, ...] = ()
        instance = _highest_instance(message) + 1
        state = "fail"
    elif structure.sets and structure.sets[-1].seal.cv == "fail":
        return None  # the chain already failed: no further set is added (RFC 8617 section 5.1.2)
    else:
        existing = structure.sets
        instance = len(existing) + 1
        state = cv or chain_state_from_results(results) or ("none" if not existing else "")
        if not state:
            raise InputError("the message carries ARC sets but no arc= result for this authserv-id: give the chain state")
    if state not in ("none", "pass", "fail"):
        raise InputError(f"cv must be none, pass or fail, not {state!r}")
    if instance > MAX_INSTANCE:
        raise InputError(f"the message already has {MAX_INSTANCE} ARC sets: no more can be added (RFC 8617)")
    if instance == 1 and state == "pass":
        raise InputError("cv=pass is impossible without an existing ARC chain")
    if instance > 1 and state == "none":
        state = "fail"
    try:
        domain = check_domain(domain, "d")
        selector = check_domain(selector, "s")
    except RecordSyntaxError as exc:
        raise InputError(str(exc)) from None
    private_key, key_type = load_private_key(bytes(private_key_pem))
    algorithm = "rsa-sha256" if key_type == "rsa" else "ed25519-sha256"
    timestamp = str(int(time.time() if now is None else now))
    fold = not standard_format

    aar_text = f"ARC-Authentication-Results: i={instance}; {head}" + "".join(f";\r\n {r}" for r in results)
    aar = Header("ARC-Authentication-Results", aar_text.encode("utf-8") + b"\r\n")

    index = HeaderIndex(message.fields_by_name)
    if headers is None:
        names = [h for h in DEFAULT_HEADERS if h in index.by_name]
    else:
        names = [h.strip().lower() for h in headers if h.strip()]
    if "arc-seal" in names:
        raise InputError("an ARC-Message-Signature must not sign ARC-Seal fields")
    body = hash_body(message.body, "relaxed", "sha256")
    ams_items = [("i", str(instance)), ("a", algorithm), ("c", "relaxed/relaxed"), ("d", domain),
                 ("s", selector), ("t", timestamp), ("h", ":".join(names)),
                 ("bh", base64.b64encode(body.digest).decode("ascii"))]
    selected = b"".join(relaxed_header(h) for h in index.select(names))
    ams = signature_header("ARC-Message-Signature", _order(ams_items, standard_format), selected, private_key,
                           key_type, "sha256", "relaxed", fold=fold)

    prior = existing if state != "fail" else ()
    sealed = b"".join(relaxed_header(s.aar) + relaxed_header(s.ams.header) + relaxed_header(s.seal.header)
                      for s in prior)
    sealed += relaxed_header(aar) + relaxed_header(Header("ARC-Message-Signature", ams.raw))
    as_items = [("i", str(instance)), ("a", algorithm), ("cv", state), ("d", domain), ("s", selector),
                ("t", timestamp)]
    seal_field = signature_header("ARC-Seal", _order(as_items, standard_format), sealed, private_key, key_type,
                                  "sha256", "relaxed", fold=fold)
    return ArcSealFields(instance, state, seal_field.raw, ams.raw, aar.raw)


def _order(items: list[tuple[str, str]], standard: bool) -> list[tuple[str, str]]:
    """The test suite's standard format: tags sorted, b= in its sorted place."""
    if not standard:
        return items
    return sorted([*items, ("b", "")])


def _highest_instance(message: Message) -> int:
    import re

    top = 0
    for h in message.headers:
        if h.lname in ("arc-seal", "arc-message-signature", "arc-authentication-results"):
            m = re.search(rb"(?:^|;)\s*i\s*=\s*([0-9]{1,3})", h.raw_value)
            if m:
                top = max(top, int(m.group(1)))
    return top
