"""Postfix access maps used with ``check_sender_access`` (access(5), regexp_table(5), pcre_table(5)).

A logical line is ``KEY ACTION``; a line starting with whitespace continues
the previous logical line; a line whose first non-blank character is ``#``
is a comment.  Keys: ``user@domain``, ``domain`` (with the default
``parent_domain_matches_subdomains`` it also matches subdomains),
``.domain`` (subdomains), ``user@`` (that local part at any domain), and in
regexp/pcre tables ``/regex/flags`` (``if``/``endif`` blocks allowed).
``OK``, ``PERMIT`` or an all-numerical result accept the sender and skip the
remaining restrictions; ``permit_sasl_authenticated`` / ``permit_mynetworks``
accept only authenticated or local clients; ``REJECT``, ``DISCARD``, ``HOLD``,
``DEFER`` and ``4NN``/``5NN`` texts are block entries.
"""

from __future__ import annotations

import re

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.patterns import PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

_ALLOW = frozenset({"ok", "permit"})
_AUTH_ALLOW = frozenset(
    {"permit_sasl_authenticated", "permit_mynetworks", "permit_tls_clientcerts", "permit_tls_all_clientcerts"}
)
_BLOCK = frozenset(
    {
        "reject",
        "discard",
        "hold",
        "defer",
        "defer_if_permit",
        "defer_if_reject",
        "reject_unverified_sender",
        "reject_unauth_destination",
    }
)
_NEUTRAL = frozenset({"dunno", "filter", "prepend", "redirect", "warn", "info", "bcc", "smtputf8"})
_REGEX_KEY = re.compile(r"^(!?)/((?:\\.|[^/\\])*)/([A-Za-z]*)(?:\s+(.*))?$")
_CLIENT_KEY = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){0,3}(?:/\d+)?|[0-9a-f:]*:[0-9a-f:.]*(?:/\d+)?)$", re.I)


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse a Postfix access map (see the module docstring)."""
    out = Collector(keep)
    logical: list[tuple[int, str]] = []
    for no, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            out.problem(no, raw, f"line longer than {MAX_LINE} characters")
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw[:1].isspace() and logical:
            first, text = logical[-1]
            logical[-1] = (first, f"{text} {stripped}")
        else:
            logical.append((no, stripped))
    depth = 0
    for no, text in logical:
        low = text.lower()
        if low.startswith("if ") or low.startswith("if!") or low == "endif":
            depth += -1 if low == "endif" else 1
            if depth < 0:
                out.problem(no, text, "endif without if")
                depth = 0
            continue
        _logical_line(out, no, text)
    if depth > 0:
        out.problem(len(lines), "", "if without endif")
    return out.result("postfix", len(lines))


def _logical_line(out: Collector, no: int, text: str) -> None:
    m = _REGEX_KEY.match(text)
    if m:
        negated, source, _flags, action_text = m.groups()
        if not action_text:
            out.problem(no, text, "regular expression without an action")
            return
        action, auth = _action(action_text)
        if action is None or negated:
            return
        out.add(
            r.Entry(
                no,
                f"/{source}/",
                kinds.REGEX,
                source,
                action=action,
                authenticated=auth,
                directive=action_text.split()[0],
                source=text,
            )
        )
        return
    parts = text.split(None, 1)
    if len(parts) < 2:
        out.problem(no, text, "access map line without an action (expected KEY ACTION)")
        return
    key, action_text = parts
    if key == "<>" or _CLIENT_KEY.match(key):
        return  # null sender or a client address key: not a sender allow-list entry
    action, auth = _action(action_text)
    if action is None:
        return
    try:
        kind, pattern = classify_token(key, bare=kinds.DOMAIN_TREE)
    except PatternError as exc:
        out.problem(no, text, str(exc))
        return
    if "*" in key or "?" in key:
        out.problem(no, text, "Postfix access keys are literal: '*' and '?' match only themselves")
        return
    out.add(
        r.Entry(
            no,
            key,
            kind,
            pattern,
            action=action,
            authenticated=auth,
            directive=action_text.split()[0],
            source=text,
        )
    )


def _action(action_text: str) -> tuple[str | None, bool]:
    """(allow|block|None, authenticated) of an access-map result."""
    words = [w for w in re.split(r"[\s,]+", action_text.strip()) if w]
    first = words[0].lower()
    if first in _ALLOW or (first.isdigit() and not re.match(r"^[45]\d\d$", first)):
        return kinds.ALLOW, False
    if first in _AUTH_ALLOW:
        return kinds.ALLOW, True
    if first in _BLOCK or re.match(r"^[45]\d\d$", first) or first.startswith("reject_"):
        return kinds.BLOCK, False
    return None, False
