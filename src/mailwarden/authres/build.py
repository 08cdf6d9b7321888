"""Writing Authentication-Results header fields (RFC 8601 sections 2.2, 2.7 and 5).

Everything that reaches the header from the message or the DNS (a DKIM
``d=``, a MAIL FROM local part, a reason naming a domain) is attacker
controlled, so:

* property values go through :func:`~mailwarden.message.authres.quote_value`:
  bare only when they are a token, a domain or ``[local-part]@domain``,
  otherwise a quoted-string with ``\\`` and ``"`` escaped;
* free text goes only into comments built by
  :func:`~mailwarden.message.authres.safe_comment` (parentheses escaped,
  control characters removed, length bounded);
* method and result words come from fixed vocabularies, never from input.

So a hostile value can neither end a result early (``;``), nor inject a
second ``dmarc=pass``, nor fold or break the header (CR/LF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mailwarden.message.authres import quote_value, safe_comment

#: Result words RFC 8601 section 2.7 (and RFC 8617 for arc) allow, per method.
RESULT_WORDS = {
    "spf": ("none", "neutral", "pass", "fail", "softfail", "temperror", "permerror", "policy"),
    "dkim": ("none", "pass", "fail", "policy", "neutral", "temperror", "permerror"),
    "dmarc": ("none", "pass", "fail", "temperror", "permerror"),
    "arc": ("none", "pass", "fail"),
}
#: authserv-id (RFC 8601 section 2.5): a domain-like token.
_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
#: header.b carries this many characters of the signature (RFC 6008 section 4).
HEADER_B_LENGTH = 8


@dataclass(frozen=True)
class ResultEntry:
    """One resinfo to write: ``method=result (comment) ptype.prop=value ...``."""

    method: str
    result: str
    comment: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    def render(self) -> str:
        words = RESULT_WORDS.get(self.method)
        result = self.result.lower() if self.result else "none"
        if words is not None and result not in words:
            result = "permerror" if "permerror" in words else "fail"
        parts = [f"{self.method}={result}"]
        if self.comment:
            parts.append(safe_comment(self.comment))
        for key, value in self.properties:
            parts.append(f"{key}={quote_value(value)}")
        return " ".join(parts)


def valid_authserv_id(value: str) -> bool:
    return bool(_AUTHSERV_ID.fullmatch(value))


def default_authserv_id() -> str:
    """This host's name when it is a valid authserv-id (RFC 8601 section 2.5), else ``localhost``."""
    import socket

    name = socket.gethostname() or "localhost"
    return name if valid_authserv_id(name) else "localhost"


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def spf_entry(spf: Any, *, mail_from: str | None = None, helo: str | None = None) -> ResultEntry:
    """``spf=`` with ``smtp.mailfrom`` (or ``smtp.helo`` for a null sender), RFC 8601 section 2.7.2."""
    result = str(_get(spf, "result") or "none")
    identity = _get(spf, "identity")
    props: list[tuple[str, str]] = []
    sender = (mail_from or "").strip().strip("<>").strip()
    if identity == "helo" or (not sender and helo):
        props.append(("smtp.helo", helo or str(_get(spf, "domain") or "")))
    else:
        props.append(("smtp.mailfrom", sender or str(_get(spf, "domain") or "")))
    comment = _get(spf, "problem") if result in ("permerror", "temperror") else None
    return ResultEntry("spf", result, comment, tuple(p for p in props if p[1]))


def dkim_entries(signatures: Iterable[Any]) -> list[ResultEntry]:
    """One ``dkim=`` per signature, topmost first, with header.d/header.i/header.s/header.b
    (RFC 8601 section 2.7.1, RFC 6008); ``dkim=none`` when there is none."""
    entries = []
    for sig in signatures:
        result = str(_get(sig, "result") or "neutral")
        props: list[tuple[str, str]] = []
        for key, name in (("header.d", "domain"), ("header.i", "identity"), ("header.s", "selector")):
            value = _get(sig, name)
            if value:
                props.append((key, str(value)))
        algorithm = _get(sig, "algorithm")
        if algorithm:
            props.append(("header.a", str(algorithm)))
        b = _get(sig, "header_b")
        if b:
            props.append(("header.b", str(b)[:HEADER_B_LENGTH]))
        replay = _get(sig, "unsigned_fields") or _get(sig, "unsigned_bytes_after_l")
        comment = _get(sig, "reason") if result != "pass" or replay else _key_comment(sig)
        entries.append(ResultEntry("dkim", result, comment, tuple(props)))
    return entries or [ResultEntry("dkim", "none", "no signatures")]


def _key_comment(sig: Any) -> str | None:
    bits, key_type = _get(sig, "key_bits"), _get(sig, "key_type")
    if bits:
        return f"{bits}-bit {key_type} key" if key_type else f"{bits}-bit key"
    return None


def dmarc_entry(dmarc: Any) -> ResultEntry:
    """``dmarc=`` with header.from and policy.dmarc (the requested policy, RFC 9989 / RFC 7489 section 11.2)."""
    result = str(_get(dmarc, "result") or "none")
    props: list[tuple[str, str]] = []
    from_domain = _get(dmarc, "from_domain")
    if from_domain:
        props.append(("header.from", str(from_domain)))
    policy = _get(dmarc, "policy")
    if policy and result in ("pass", "fail"):
        props.append(("policy.dmarc", str(policy)))
    comment = _get(dmarc, "reason")
    disposition = _get(dmarc, "disposition")
    if result == "fail" and disposition and disposition != policy:
        comment = f"{comment}; applied {disposition}" if comment else f"applied {disposition}"
    return ResultEntry("dmarc", result, comment, tuple(props))


def arc_entry(arc: Any) -> ResultEntry:
    """``arc=`` with the chain validation status (RFC 8617 section 10.2)."""
    cv = str(_get(arc, "cv") or "none")
    props: list[tuple[str, str]] = []
    oldest = _get(arc, "oldest_pass")
    if cv == "pass" and oldest is not None:
        props.append(("header.oldest-pass", str(oldest)))
    return ResultEntry("arc", cv, _get(arc, "reason") if cv == "fail" else None, tuple(props))


def format_authentication_results(authserv_id: str, entries: Sequence[ResultEntry], *,
                                  field_name: bool = True, fold: bool = False) -> str:
    """The header line (``Authentication-Results: id; r1; r2``); ``fold`` puts each
    result on its own continuation line (CRLF + tab), as when stamping a message."""
    ident = authserv_id if valid_authserv_id(authserv_id) else quote_value(authserv_id, always=True)
    rendered = [e.render() for e in entries] or ["none"]
    sep = ";\r\n\t" if fold else "; "
    text = ident + sep + sep.join(rendered)
    return f"Authentication-Results: {text}" if field_name else text


def build_authentication_results(
    authserv_id: str,
    *,
    spf: Any = None,
    dkim: Iterable[Any] | None = None,
    dmarc: Any = None,
    arc: Any = None,
    mail_from: str | None = None,
    helo: str | None = None,
    fold: bool = False,
) -> str:
    """The Authentication-Results line for the checks that ran (``None`` = not run)."""
    entries: list[ResultEntry] = []
    if spf is not None:
        entries.append(spf_entry(spf, mail_from=mail_from, helo=helo))
    if dkim is not None:
        entries.extend(dkim_entries(dkim))
    if dmarc is not None:
        entries.append(dmarc_entry(dmarc))
    if arc is not None:
        entries.append(arc_entry(arc))
    return format_authentication_results(authserv_id, entries, fold=fold)
