"""Frozen results of the allowlist parser and audit (SPEC section 9).

An :class:`Entry` is one sender pattern of an allow (or block) list, tied to
the physical line it was written on.  :class:`ParsedAllowlist` is the whole
file and offers :meth:`ParsedAllowlist.matches`, the matcher the diagnosis
service and the mail filter reuse (the filter applies an entry only when
DMARC passes, RFC 9989 section 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailwarden.allowlist.kinds import ALLOW
from mailwarden.allowlist.patterns import ascii_domain_glob, compiled


@dataclass(frozen=True, slots=True)
class Entry:
    """One sender pattern of an allow or block list.

    ``pattern`` is the normalised form used for matching: a case-insensitive
    glob (``*``, ``?``) over ``local@domain`` with the domain in A-label form,
    or the regular expression source for ``kind == "regex"``.
    """

    line: int
    entry: str
    kind: str
    pattern: str
    action: str = ALLOW
    authenticated: bool = False
    auth_available: bool = False
    directive: str = ""
    condition: str = ""
    source: str = ""
    active: bool = True
    note: str = ""

    def covers(self, address: str) -> bool | None:
        """Does this entry match ``address``?  ``None`` when that cannot be decided safely."""
        return compiled(self.kind, self.pattern).matches(normalise_address(address))

    @property
    def is_allow(self) -> bool:
        return self.active and self.action == ALLOW


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that could not be understood; it is reported, never silently skipped."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedAllowlist:
    """A parsed allow-list file: entries in file order, unparseable lines, limits hit."""

    format: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()
    lines: int = 0
    truncated: bool = False
    problems_omitted: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def allow_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.is_allow)

    def matches(self, address: str, *, authenticated_only: bool = False) -> list[Entry]:
        """Active allow entries that match ``address`` (undecidable regexes excluded).

        With ``authenticated_only`` only entries that already require
        authentication count; a filter that checks DMARC itself passes False
        and applies the result only to mail whose DMARC passed.
        """
        addr = normalise_address(address)
        found = []
        for e in self.entries:
            if not e.is_allow or (authenticated_only and not e.authenticated):
                continue
            if compiled(e.kind, e.pattern).matches(addr):
                found.append(e)
        return found


@dataclass(frozen=True, slots=True)
class Finding:
    """One risky entry: what it is, why it is risky, and the exact change."""

    line: int
    entry: str
    id: str
    severity: str
    message: str
    fix: str
    replacement: str | None = None
    #: how ``replacement`` applies: "replace" the line, "add" it to the rule, or "delete" the entry
    change: str = "replace"


@dataclass(frozen=True)
class AllowlistReport:
    """The audit of one allow list for one owner (SPEC section 9)."""

    format: str
    findings: tuple[Finding, ...]
    entries: int
    allow_entries: int
    problems: tuple[Problem, ...] = ()
    problems_omitted: int = 0
    truncated: bool = False
    me: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "findings": [
                {
                    "line": f.line,
                    "entry": f.entry,
                    "id": f.id,
                    "severity": f.severity,
                    "message": f.message,
                    "fix": f.fix,
                    "replacement": f.replacement,
                    "change": f.change,
                }
                for f in self.findings
            ],
            "unparsed": [{"line": p.line, "text": p.text, "reason": p.reason} for p in self.problems],
            "unparsed_omitted": self.problems_omitted,
            "entries": self.entries,
            "allow_entries": self.allow_entries,
            "truncated": self.truncated,
            "notes": list(self.notes),
        }


def normalise_address(address: str) -> str:
    """``local@domain`` lower-cased with the domain in A-label form (IDN compared as ASCII)."""
    address = address.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    return f"{local.lower()}@{ascii_domain_glob(domain)}"
