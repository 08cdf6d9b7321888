"""SpamAssassin configuration (``local.cf``, ``user_prefs``): the welcomelist directives.

Mail::SpamAssassin::Conf: ``whitelist_from``/``welcomelist_from`` (From alone,
globs over the whole address), ``whitelist_from_rcvd``/``welcomelist_from_rcvd``
(address plus the rDNS of the relay that handed it over),
``whitelist_auth``/``welcomelist_auth`` (SPF, DKIM or DK pass),
``whitelist_from_dkim``/``welcomelist_from_dkim`` and ``*_spf``, their
``def_*`` defaults, ``unwhitelist_*``/``unwelcomelist_*`` (remove an earlier
entry) and the ``blacklist_*``/``blocklist_*`` block lists.  Directive names
are case-insensitive; ``#`` starts a comment (``\\#`` is a literal).  Other
directives are configuration and are not allow-list entries; an unknown
directive that looks like a list directive, or a malformed one, is reported.
"""

from __future__ import annotations

import re

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.patterns import PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

_DIRECTIVE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*))?$")
_LISTISH = re.compile(r"(?:white|welcome|black|block)list|unwhite|unwelcome|unblack|unblock", re.I)
_COMMENT = re.compile(r"(?<!\\)#.*$")

#: name (lower case, whitelist spelling) -> (action, authenticated, takes a second argument)
_KNOWN: dict[str, tuple[str, bool, str]] = {
    "whitelist_from": (kinds.ALLOW, False, ""),
    "whitelist_from_rcvd": (kinds.ALLOW, True, "rcvd"),
    "whitelist_auth": (kinds.ALLOW, True, ""),
    "whitelist_from_dkim": (kinds.ALLOW, True, "dkim"),
    "whitelist_from_spf": (kinds.ALLOW, True, ""),
    "def_whitelist_from": (kinds.ALLOW, False, ""),
    "def_whitelist_from_rcvd": (kinds.ALLOW, True, "rcvd"),
    "def_whitelist_auth": (kinds.ALLOW, True, ""),
    "def_whitelist_from_dkim": (kinds.ALLOW, True, "dkim"),
    "def_whitelist_from_spf": (kinds.ALLOW, True, ""),
    "blacklist_from": (kinds.BLOCK, False, ""),
}
_UNLIST = {
    "unwhitelist_from": ("whitelist_from", "def_whitelist_from"),
    "unwhitelist_from_rcvd": ("whitelist_from_rcvd", "def_whitelist_from_rcvd"),
    "unwhitelist_auth": ("whitelist_auth", "def_whitelist_auth"),
    "unwhitelist_from_dkim": ("whitelist_from_dkim", "def_whitelist_from_dkim"),
    "unwhitelist_from_spf": ("whitelist_from_spf", "def_whitelist_from_spf"),
    "unblacklist_from": ("blacklist_from",),
}
#: list directives that are real but not about the From address (recipient lists, relay options)
_OTHER_LISTS = frozenset(
    [
        "whitelist_to",
        "more_spam_to",
        "all_spam_to",
        "blacklist_to",
        "whitelist_allows_relays",
        "unwhitelist_to",
        "unblacklist_to",
        "whitelist_uri_host",
        "blacklist_uri_host",
        "enlist_uri_host",
        "delist_uri_host",
        "enlist_addrlist",
        "delist_addrlist",
    ]
)


def canonical(name: str) -> str:
    """The whitelist_/blacklist_ spelling of a directive (welcomelist/blocklist are SpamAssassin 4 aliases)."""
    name = name.lower()
    return name.replace("welcomelist", "whitelist").replace("blocklist", "blacklist")


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse SpamAssassin configuration (see the module docstring)."""
    out = Collector(keep)
    removals: list[tuple[int, tuple[str, ...], str]] = []
    for no, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            out.problem(no, raw, f"line longer than {MAX_LINE} characters")
            continue
        line = _COMMENT.sub("", raw).strip().replace("\\#", "#")
        if not line:
            continue
        m = _DIRECTIVE.match(line)
        if not m:
            out.problem(no, raw, "not a SpamAssassin directive")
            continue
        written, args = m.group(1), (m.group(2) or "").split()
        name = canonical(written)
        if name in _UNLIST:
            if not args:
                out.problem(no, raw, f"{written} needs an address")
            for a in args:
                removals.append((no, _UNLIST[name], a.lower()))
            continue
        if name in _KNOWN:
            _entries(out, no, raw, written, name, args)
            continue
        if name in _OTHER_LISTS:
            continue
        if _LISTISH.search(name):
            out.problem(no, raw, f"unknown list directive {written!r}")
        # any other directive is ordinary SpamAssassin configuration
    entries = _apply_removals(out.entries, removals)
    out.entries = entries
    return out.result("spamassassin", len(lines))


def _entries(out: Collector, no: int, raw: str, written: str, name: str, args: list[str]) -> None:
    action, authenticated, second = _KNOWN[name]
    if not args:
        out.problem(no, raw, f"{written} needs an address")
        return
    condition = ""
    if second == "rcvd":
        if len(args) != 2:
            out.problem(no, raw, f"{written} takes an address and a relay domain")
            return
        condition = f"rcvd:{args[1].lower()}"
        args = args[:1]
    elif second == "dkim" and len(args) >= 2:
        if len(args) > 2:
            out.problem(no, raw, f"{written} takes an address and at most one signing domain")
            return
        condition = f"dkim:{args[1].lower()}"
        args = args[:1]
    elif second == "dkim":
        condition = "dkim"
    elif authenticated:
        condition = "spf-or-dkim"
    for tok in args:
        try:
            kind, pattern = classify_token(tok, whole_address_glob=True)
        except PatternError as exc:
            out.problem(no, raw, str(exc))
            continue
        if not out.wants(kind, pattern):
            continue
        out.store(
            r.Entry(
                no,
                tok,
                kind,
                pattern,
                action=action,
                authenticated=authenticated,
                auth_available=True,
                directive=written,
                condition=condition,
            )
        )


def _apply_removals(
    entries: list[r.Entry], removals: list[tuple[int, tuple[str, ...], str]]
) -> list[r.Entry]:
    """``unwhitelist_*`` removes an earlier entry written with the same address (case-insensitive)."""
    if not removals:
        return entries
    from dataclasses import replace

    result = list(entries)
    for at, names, addr in removals:
        for i, e in enumerate(result):
            if e.line < at and e.active and canonical(e.directive) in names and e.entry.lower() == addr:
                result[i] = replace(e, active=False, note=f"removed by line {at}")
    return result
