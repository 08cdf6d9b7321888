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


def aggregate_xml(report_id: str, records: int, *, begin: int = T0, org: str = "google.com") -> bytes:
    """An RFC 7489 aggregate report with ``records`` records (count 1 + i % 5 each)."""
    rows = "".join(
        f"<record><row><source_ip>198.51.{i // 250 % 250}.{i % 250 + 1}</source_ip><count>{1 + i % 5}</count>"
        f"<policy_evaluated><disposition>none</disposition><dkim>{'pass' if i % 3 else 'fail'}</dkim>"
        f"<spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers>"
        f"<auth_results><dkim><domain>example.com</domain><result>{'pass' if i % 3 else 'fail'}</result></dkim>"
        f"<spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>"
        for i in range(records)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><feedback><report_metadata><org_name>{org}</org_name>'
            f"<email>noreply-dmarc-support@{org}</email><report_id>{report_id}</report_id>"
            f"<date_range><begin>{begin}</begin><end>{begin + DAY - 1}</end></date_range></report_metadata>"
            f"<policy_published><domain>example.com</domain><p>none</p><pct>100</pct></policy_published>"
            f"{rows}</feedback>").encode()


def expected_messages(records: int) -> int:
    return sum(1 + i % 5 for i in range(records))


def report_email(report_id: str, records: int, *, begin: int = T0, org: str = "google.com") -> bytes:
    """A report e-mail as receivers send them (RFC 7489 section 7.2.1.1): the report gzipped as an attachment."""
    import gzip
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = f"noreply-dmarc-support@{org}"
    message["To"] = "dmarc@test.example"
    message["Subject"] = f"Report Domain: example.com Submitter: {org} Report-ID: {report_id}"
    message["Message-ID"] = f"<{report_id}@{org}>"
    message.set_content("This is an aggregate report from " + org)
    message.add_attachment(gzip.compress(aggregate_xml(report_id, records, begin=begin, org=org)),
                           maintype="application", subtype="gzip",
                           filename=f"{org}!example.com!{begin}!{begin + DAY - 1}.xml.gz")
    return message.as_bytes().replace(b"\n", b"\r\n")
