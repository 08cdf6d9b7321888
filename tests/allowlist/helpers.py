"""Shared helpers for the allowlist tests."""

from __future__ import annotations

from mailwarden.allowlist import audit_allowlist, parse_allowlist


def ids(
    text: str, fmt: str = "auto", me=("alice@example.com",), domains=("example.com",)
) -> set[tuple[int, str]]:
    """{(line, id)} of the findings for ``text``."""
    report = audit_allowlist(parse_allowlist(text, fmt), list(me), list(domains))
    return {(f.line, f.id) for f in report.findings}


def lines_with_findings(
    text: str, fmt: str = "auto", me=("alice@example.com",), domains=("example.com",)
) -> set[int]:
    return {line for line, _ in ids(text, fmt, me, domains)}
