"""Allow-list audit (SPEC section 9): parsers for every allow-list format and the findings.

``parse_allowlist(text, format)`` gives a :class:`ParsedAllowlist` (entries with
line numbers, kind, authenticated flag, unparseable lines) whose
:meth:`ParsedAllowlist.matches` is reused by ``diagnose --allowlist`` and the
mail filter; ``audit_allowlist(parsed, me, domains)`` gives the findings.
"""

from __future__ import annotations

from mailwarden.allowlist.findings import WHY, audit_allowlist, relevant_to
from mailwarden.allowlist.results import AllowlistReport, Entry, Finding, ParsedAllowlist, Problem
from mailwarden.allowlist.text import Keep
from mailwarden.errors import InputError

FORMATS = ("auto", "plain", "spamassassin", "postfix", "rspamd", "sieve", "csv")

__all__ = [
    "FORMATS",
    "WHY",
    "AllowlistReport",
    "Entry",
    "Finding",
    "ParsedAllowlist",
    "Problem",
    "audit_allowlist",
    "parse_allowlist",
    "parse_allowlist_bytes",
    "relevant_to",
]


def parse_allowlist(
    text: str, format: str = "auto", *, filename: str | None = None, keep: Keep | None = None
) -> ParsedAllowlist:
    """Parse an allow list; ``format="auto"`` detects it (``filename`` only breaks ties).

    ``keep`` (e.g. :func:`relevant_to` the owner) selects the entries still kept once a huge
    file has exceeded the entry limit.
    """
    from mailwarden.allowlist.detect import detect_format
    from mailwarden.allowlist.formats import parser
    from mailwarden.allowlist.text import split_lines

    if format not in FORMATS:
        raise InputError(f"unknown allow-list format {format!r} (choose from {', '.join(FORMATS)})")
    lines = split_lines(text)
    fmt = detect_format(lines, filename) if format == "auto" else format
    return parser(fmt)(lines, keep)


def parse_allowlist_bytes(
    data: bytes, format: str = "auto", *, filename: str | None = None, keep: Keep | None = None
) -> ParsedAllowlist:
    """Decode a file's bytes (UTF-8, UTF-16 with BOM, or Windows-1252) and parse it; binary data is an InputError."""
    from mailwarden.allowlist.text import decode

    return parse_allowlist(decode(data), format, filename=filename, keep=keep)
