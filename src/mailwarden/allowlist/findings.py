"""The audit: which allow-list entries let forged mail in (SPEC section 9).

Finding ids (stable):

* ``self-address`` (critical): the owner's own address is allow-listed by From
  alone.  From is not authenticated (RFC 5322 section 3.6.2 is just a header;
  DMARC, RFC 9989, is what binds it to the domain), so forged mail "from
  yourself" skips the filter;
* ``self-domain`` (critical): an entry covers the owner's domain, another
  address of it, or its subdomains (wildcards and subdomain globs included);
* ``broad-domain`` (warning): a whole freemail domain, a public suffix
  (``*.co.uk``, ``@com``) or any domain at all: anyone can get such an
  address, so authentication does not help;
* ``unauthenticated`` (warning): an allow entry by From alone where the
  format offers an authenticated form (SpamAssassin ``whitelist_auth``,
  rspamd ``require_symbols = "DMARC_POLICY_ALLOW"``, Sieve ``allof`` with
  ``dmarc=pass``).

Plain lists and CSV exports have no authenticated form; a Postfix access map
has one only for the owner's own users (``permit_sasl_authenticated`` as the
result), so third-party entries there are not ``unauthenticated`` findings.

Every finding carries the exact change (``replacement``: the new line, or
``""`` to delete the entry).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.domains import FREEMAIL, is_freemail, is_public_suffix
from mailwarden.allowlist.patterns import compiled, glob_match, has_glob, regex_literal_text, split_pattern
from mailwarden.cache import memo
from mailwarden.errors import InputError

CRITICAL, WARNING, INFO = "critical", "warning", "info"
#: ``unauthenticated`` findings listed one by one; the rest are counted in a note (self and broad are never capped).
MAX_UNAUTHENTICATED = 10_000
#: Regex entries analysed with the automaton (the rest by text only), to bound the audit of hostile files.
MAX_REGEX_ANALYSED = 5000
_PROBE = "mailwarden-probe"
_BROAD_PROBES = (
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "gmx.de",
    f"{_PROBE}-zz.com",
    f"{_PROBE}.co.uk",
    f"{_PROBE}.net",
    f"{_PROBE}.org",
)
_ADDR_IN_TEXT = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+")

WHY = (
    "Allow-listing your own address or domain is dangerous: anyone can write your address in the From "
    "line of a forged message, and an allow-listed From skips every spam and phishing check. "
    "Allow a sender only when its mail is authenticated (SPF, DKIM or DMARC pass), and never allow-list "
    "your own domain or a whole public mail provider."
)


def audit_allowlist(parsed: r.ParsedAllowlist, me: list[str], domains: list[str]) -> r.AllowlistReport:
    """Findings for every risky active allow entry of ``parsed`` for the owner ``me``/``domains``."""
    me_addrs = []
    for m in me:
        addr = r.normalise_address(m)
        if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
            raise InputError(f"the owner's address {m!r} is not an e-mail address")
        me_addrs.append(addr)
    owner = {_owner_domain(d) for d in domains} | {a.rpartition("@")[2] for a in me_addrs}
    owner.discard("")
    findings: list[r.Finding] = []
    regex_budget = [MAX_REGEX_ANALYSED]
    notes = list(parsed.notes)
    unauth = 0
    for e in parsed.entries:
        if not e.is_allow or e.kind == kinds.EXTERNAL:
            continue
        if e.kind == kinds.REGEX:
            self_addr, self_dom, broad = _regex_coverage(e, me_addrs, owner, regex_budget)
        else:
            self_addr, self_dom, broad = _glob_coverage(e, me_addrs, owner)
        for f in _findings(parsed.format, e, self_addr, self_dom, broad):
            if f.id == "unauthenticated":
                unauth += 1
                if unauth > MAX_UNAUTHENTICATED:
                    continue
            findings.append(f)
    if unauth > MAX_UNAUTHENTICATED:
        notes.append(
            f"{unauth} entries are allow-listed by From alone; only the first {MAX_UNAUTHENTICATED} are listed"
        )
    if regex_budget[0] < 0:
        notes.append(
            f"only the first {MAX_REGEX_ANALYSED} regular expressions were matched; the rest were read as text"
        )
    findings.sort(key=lambda f: (f.line, _ORDER[f.id], f.entry))
    return r.AllowlistReport(
        format=parsed.format,
        findings=tuple(findings),
        entries=len(parsed.entries),
        allow_entries=len(parsed.allow_entries),
        problems=parsed.problems,
        problems_omitted=parsed.problems_omitted,
        truncated=parsed.truncated,
        me=tuple(me_addrs),
        domains=tuple(sorted(owner)),
        notes=tuple(notes),
    )


def relevant_to(me: list[str], domains: list[str]) -> Callable[[str, str], bool]:
    """A cheap predicate: can this entry produce a self or broad finding for this owner?

    Used as ``keep`` when parsing huge files, so entries past the entry limit that
    concern the owner are not lost.
    """
    owner = {_owner_domain(d) for d in domains} | {
        r.normalise_address(m).rpartition("@")[2] for m in me if "@" in m
    }
    owner.discard("")

    def keep(kind: str, pattern: str) -> bool:
        if kind != kinds.ADDRESS or has_glob(pattern):
            return True
        dom = pattern.rpartition("@")[2]
        return any(dom == d or dom.endswith("." + d) for d in owner)

    return keep


_ORDER = {"self-address": 0, "self-domain": 1, "broad-domain": 2, "unauthenticated": 3}


def _owner_domain(domain: str) -> str:
    d = r.normalise_address("x@" + domain.strip().lstrip("@")).rpartition("@")[2]
    if not d or "@" in domain.strip().lstrip("@") or not re.match(r"^[a-z0-9_\-.]+$", d) or ".." in d:
        raise InputError(f"the owner's domain {domain!r} is not a domain name")
    return d


def _in_owner(domain: str, owner: set[str]) -> str | None:
    for d in owner:
        if domain == d or domain.endswith("." + d):
            return d
    return None


def _glob_coverage(e: r.Entry, me: list[str], owner: set[str]) -> tuple[str | None, str | None, str | None]:
    """(owner address matched by a literal local part, owner domain covered, why it is broad)."""
    local, dom = split_pattern(e.pattern)
    m = compiled(e.kind, e.pattern)
    wild_local = local is None or has_glob(local)
    self_addr = self_dom = None
    for addr in me:
        if m.matches(addr):
            if wild_local:
                self_dom = addr.rpartition("@")[2]
            else:
                self_addr = addr
            break
    if self_dom is None and self_addr is None:
        for d in owner:
            if _domain_covers(e, local, dom, d):
                self_dom = d
                break
    return self_addr, self_dom, _broad(e.kind, local, dom)


def _domain_covers(e: r.Entry, local: str | None, dom: str, d: str) -> bool:
    if local is None:  # a glob over the whole address
        return glob_match(dom, f"{_PROBE}@{d}") or glob_match(dom, f"{_PROBE}@{_PROBE}.{d}")
    if e.kind == kinds.DOMAIN_TREE:
        target = dom
        return target == d or target.endswith("." + d) or d.endswith("." + target)
    if not has_glob(dom):
        return dom == d or dom.endswith("." + d)
    return glob_match(dom, d) or glob_match(dom, f"{_PROBE}.{d}")


@memo(16384)
def _broad(kind: str, local: str | None, dom: str) -> str | None:
    """Why a (local, domain) glob covers a whole public domain, or None."""
    if local is None:  # a glob over the whole address: probe it like a regex
        if dom.strip("*?") == "":
            return "it matches every address"
        hits = [p for p in _BROAD_PROBES if glob_match(dom, f"{_PROBE}@{p}")]
        if not hits:
            return None
        if is_freemail(hits[0]):
            return f"it matches {hits[0]}, a public mail provider"
        return "it matches every domain under a public suffix"
    if dom.strip("*?.") == "":
        return "it matches every domain"
    if local is not None and not has_glob(local):
        return None
    if not has_glob(dom):
        if is_freemail(dom):
            return f"{dom} is a public mail provider: anyone can open an address there"
        if is_public_suffix(dom):
            return f"{dom} is a public suffix: anyone can register a domain under it"
        if kind == kinds.DOMAIN_TREE:
            return None
        return None
    tail = re.split(r"[*?]", dom)[-1].lstrip(".")
    if "@" in tail:
        tail = tail.rpartition("@")[2]
    if not tail:
        hits = [f for f in FREEMAIL if glob_match(dom, f)]
        return (
            f"it matches public mail providers such as {hits[0]}" if hits else "it matches almost any domain"
        )
    if is_public_suffix(tail):
        return f"it matches every domain under the public suffix {tail}"
    for f in FREEMAIL:
        if f.endswith(tail) and glob_match(dom, f):
            return f"it matches the public mail provider {f}"
    return None


def _regex_coverage(e: r.Entry, me: list[str], owner: set[str], budget: list[int]):
    text = regex_literal_text(e.pattern)
    budget[0] -= 1
    m = compiled(e.kind, e.pattern) if budget[0] >= 0 else None
    decidable = m is not None and m.regex is not None
    self_addr = self_dom = broad = None
    if decidable:
        for addr in me:
            if m.matches(addr):
                local = addr.rpartition("@")[0]
                if f"{local}@" in text and not m.matches(f"{_PROBE}@{addr.rpartition('@')[2]}"):
                    self_addr = addr
                else:
                    self_dom = addr.rpartition("@")[2]
                break
        if self_addr is None and self_dom is None:
            candidates = [a for a in _ADDR_IN_TEXT.findall(text)]
            for d in owner:
                probes = [f"{_PROBE}@{d}", f"{_PROBE}@{_PROBE}.{d}"]
                probes += [a for a in candidates if _in_owner(a.rpartition("@")[2], {d})]
                if any(m.matches(p) for p in probes) or _names_domain(text, d):
                    self_dom = d
                    break
        hits = [p for p in _BROAD_PROBES if m.matches(f"{_PROBE}@{p}")]
        if hits:
            broad = (
                f"it matches {hits[0]}, a public mail provider"
                if is_freemail(hits[0])
                else "it matches every domain under a public suffix"
            )
    else:
        for addr in me:
            if addr in text:
                self_addr = addr
                break
        if self_addr is None:
            for d in owner:
                if _names_domain(text, d, loose=True):
                    self_dom = d
                    break
    return self_addr, self_dom, broad


def _names_domain(text: str, domain: str, *, loose: bool = False) -> bool:
    """Does the literal text of a regex name ``@domain`` (or ``.domain``) as a whole domain?"""
    lead = r"(?:^|[@.\s])" if loose else r"[@.]"
    return re.search(lead + re.escape(domain) + r"(?![a-z0-9\-.])", text) is not None


def _findings(fmt: str, e: r.Entry, self_addr: str | None, self_dom: str | None, broad: str | None):
    out = []
    shown = _shown(e)
    if not e.authenticated and self_addr:
        out.append(
            r.Finding(
                e.line,
                shown,
                "self-address",
                CRITICAL,
                f"Your own address {self_addr} is allow-listed by {_how(fmt, e)}: a forged message with it in "
                f"From skips the spam filter.",
                *_auth_fix(fmt, e, own=True),
            )
        )
    elif not e.authenticated and self_dom:
        out.append(
            r.Finding(
                e.line,
                shown,
                "self-domain",
                CRITICAL,
                (
                    f"{shown} is an address of your domain {self_dom}"
                    if e.kind == kinds.ADDRESS
                    else f"{shown} covers your domain {self_dom} ({_what(e)})"
                )
                + f", allow-listed by {_how(fmt, e)}: forged mail claiming to come from {self_dom} skips "
                "the spam filter.",
                *_auth_fix(fmt, e, own=True),
            )
        )
    if broad:
        out.append(
            r.Finding(
                e.line,
                shown,
                "broad-domain",
                WARNING,
                f"{shown} allow-lists a whole public domain: {broad}, so any spammer with such an address "
                f"skips the filter{' even with authentication' if e.authenticated else ''}.",
                *_delete_fix(fmt, e),
            )
        )
    if not out and not e.authenticated and e.auth_available:
        out.append(
            r.Finding(
                e.line,
                shown,
                "unauthenticated",
                WARNING,
                f"{shown} is allow-listed by From alone ({_how(fmt, e)}); anyone can forge that From. "
                f"The format has an authenticated form.",
                *_auth_fix(fmt, e, own=False),
            )
        )
    return out


def _shown(e: r.Entry) -> str:
    return f"/{e.pattern}/" if e.kind == kinds.REGEX and not e.entry.startswith("/") else e.entry


def _what(e: r.Entry) -> str:
    return {
        kinds.ADDRESS: "an address in your domain",
        kinds.DOMAIN: "every address of the domain",
        kinds.SUBDOMAINS: "every address of its subdomains",
        kinds.DOMAIN_TREE: "the domain and all its subdomains",
        kinds.LOCALPART: "that local part at any domain",
        kinds.REGEX: "a regular expression",
    }.get(e.kind, "a wildcard")


def _how(fmt: str, e: r.Entry) -> str:
    if fmt == "spamassassin":
        return f"{e.directive} (From only)"
    if fmt == "rspamd":
        return f"rspamd rule {e.directive}"
    if fmt == "sieve":
        return "a Sieve rule that stops before the spam rule"
    if fmt == "postfix":
        return f"a Postfix access map ({e.directive}: the envelope sender is not authenticated)"
    return f"a {fmt} allow list"


def _sa_auth_directive(directive: str) -> str:
    prefix = "def_" if directive.lower().startswith("def_") else ""
    family = "welcomelist" if "welcome" in directive.lower() else "whitelist"
    return f"{prefix}{family}_auth"


def _auth_fix(fmt: str, e: r.Entry, *, own: bool) -> tuple[str, str | None, str]:
    """(fix sentence, exact new line, how it applies) that keeps the entry only for authenticated mail."""
    if fmt == "spamassassin":
        new = f"{_sa_auth_directive(e.directive)} {e.entry}"
        tail = " (delete it instead if it only lets your own mail back in)" if own else ""
        return (
            f"Replace line {e.line} with `{new}`: it applies only when SPF or DKIM passes for the "
            f"sender's domain{tail}.",
            new,
            "replace",
        )
    if fmt == "rspamd":
        new = 'require_symbols = "DMARC_POLICY_ALLOW";'
        return (
            f"Add `{new}` to rule {e.directive} (or move {_shown(e)} into a rule that has it): the rule "
            f"then applies only when DMARC passes.",
            new,
            "add",
        )
    if fmt == "sieve":
        new = f'if allof ({e.source}, header :contains "Authentication-Results" "dmarc=pass")'
        return (
            f"Replace the test on line {e.line} with `{new}`, so the rule applies only when DMARC passes. "
            f"This is only safe if your mail server deletes every Authentication-Results header that "
            f"arrives with a message before adding its own: otherwise a forger simply writes "
            f"\"dmarc=pass\" into the message himself. Ask your provider if you are not sure.",
            new,
            "replace",
        )
    if fmt == "postfix":
        key = f"/{e.pattern}/" if e.kind == kinds.REGEX else e.entry
        new = f"{key} permit_sasl_authenticated"
        if own:
            return (
                f"Replace line {e.line} with `{new}`: your own users log in, forged mail does not and goes "
                f"through the remaining checks.",
                new,
                "replace",
            )
        return (f"Delete line {e.line}; the envelope sender proves nothing.", "", "delete")
    return (
        f"Delete {_shown(e)} (line {e.line}); if you need it, let mailwarden filter apply this list only "
        f"when DMARC passes.",
        "",
        "delete",
    )


def _delete_fix(fmt: str, e: r.Entry) -> tuple[str, str | None, str]:
    example = {
        "spamassassin": f"`{_sa_auth_directive(e.directive)} friend@provider.example` lines for the people you know",
        "rspamd": 'individual addresses in a rule with require_symbols = "DMARC_POLICY_ALLOW"',
        "sieve": "individual addresses combined with a dmarc=pass test",
    }.get(fmt, "the individual addresses you know")
    return (f"Delete {_shown(e)} (line {e.line}); allow-list {example} instead.", "", "delete")
