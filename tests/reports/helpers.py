"""Aggregate reports in the SPEC section 12 JSON shape, built for the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

DAY = 86400
#: 2024-03-01 00:00:00 UTC
T0 = 1709251200


def header(report_id: str, *, org: str = "google.com", email: str = "noreply-dmarc-support@google.com",
           domain: str = "example.com", begin: int = T0, p: str = "none", pct: int | None = 100) -> dict[str, Any]:
    return {
        "kind": "aggregate",
        "report_metadata": {"org_name": org, "email": email, "extra_contact_info": None, "report_id": report_id,
                            "date_range": {"begin": begin, "end": begin + DAY - 1}, "errors": [], "generator": None},
        "policy_published": {"domain": domain, "p": p, "sp": None, "np": None, "adkim": "r", "aspf": "r",
                             "pct": pct, "fo": None, "testing": None, "discovery_method": None},
        "warnings": [],
    }


def record(ip: str, count: int, *, dkim: str = "pass", spf: str = "pass", header_from: str = "example.com",
           dkim_auth: list[tuple[str, str]] | None = None, spf_auth: list[tuple[str, str]] | None = None,
           reasons: tuple[str, ...] = (), disposition: str = "none") -> dict[str, Any]:
    dkim_auth = [(header_from, dkim)] if dkim_auth is None else dkim_auth
    spf_auth = [(header_from, spf)] if spf_auth is None else spf_auth
    return {
        "source_ip": ip,
        "count": count,
        "policy_evaluated": {"disposition": disposition, "dkim": dkim, "spf": spf,
                             "reasons": [{"type": r, "comment": None} for r in reasons]},
        "identifiers": {"header_from": header_from, "envelope_from": None, "envelope_to": None},
        "auth_results": {
            "dkim": [{"domain": d, "selector": "s1", "result": r, "human_result": None} for d, r in dkim_auth],
            "spf": [{"domain": d, "scope": "mfrom", "result": r, "human_result": None} for d, r in spf_auth],
        },
    }


def many(n: int, *, ip_prefix: str = "198.51.100.") -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield record(f"{ip_prefix}{i % 250 + 1}", 1 + i % 3)
