"""Plain allow lists: one sender per line.

Accepted entries: ``alice@example.com``, ``@example.com``, ``*@example.com``,
``*.example.com`` (subdomains), ``example.com``, globs, ``Name <addr>``.
Comments start with ``#``, ``;`` or ``//`` (also after whitespace at the end
of a line); several entries may share a line separated by commas, semicolons
or blanks; a trailing backslash continues onto the next line.  A plain list
offers no authenticated form.
"""

from __future__ import annotations

import re

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.patterns import FAST_ADDRESS, PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

_COMMENT = re.compile(r"(?:^|\s)(?:#|//|;\s).*$")
_ANGLE = re.compile(r"<([^<>\s]+)>")
_SPLIT = re.compile(r"[\s,;]+")


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse a plain list (see the module docstring)."""
    out = Collector(keep)
    for no, raw in enumerate(lines, 1):
        parse_line(out, no, raw, directive="list")
    return out.result("plain", len(lines))


def parse_line(
    out: Collector,
    no: int,
    raw: str,
    *,
    directive: str,
    action: str = kinds.ALLOW,
    bare: str = kinds.DOMAIN,
    source: str = "",
) -> None:
    """Entries of one plain-list line (shared with rspamd map entries and CSV cells)."""
    if len(raw) > MAX_LINE:
        out.problem(no, raw, f"line longer than {MAX_LINE} characters")
        return
    line = raw.strip()
    if not line or line[0] in "#;" or line.startswith("//"):
        return
    if FAST_ADDRESS.fullmatch(line):
        if out.wants(kinds.ADDRESS, line.lower()):
            out.store(
                r.Entry(no, line, kinds.ADDRESS, line.lower(), action=action, directive=directive, source=source)
            )
        return
    line = _COMMENT.sub("", line).rstrip()
    if line.endswith("\\"):
        line = line[:-1].rstrip()
    angled = _ANGLE.findall(line)
    tokens = angled if angled else [t for t in _SPLIT.split(line) if t]
    reported = False
    for tok in tokens:
        try:
            kind, pattern = classify_token(tok, bare=bare)
        except PatternError as exc:
            if not reported:  # one report per line, however many bad tokens it holds
                out.problem(no, raw, str(exc))
                reported = True
            continue
        if out.wants(kind, pattern):
            out.store(r.Entry(no, tok, kind, pattern, action=action, directive=directive, source=source))
