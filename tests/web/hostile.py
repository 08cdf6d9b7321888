"""Attacker text for the XSS tests: every field a sender or a reporter controls carries markup."""

from __future__ import annotations

#: Payloads that run script if any of them reaches the page unescaped (each calls alert()).
PAYLOADS = (
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "<svg/onload=alert('svg')>",
    "\"><body onload=alert('attr')>",
    "'><a href=javascript:alert('href')>x</a>",
    "</textarea><script>alert('textarea')</script>",
    "</title><script>alert('title')</script>",
    "<iframe srcdoc=\"<script>parent.alert('frame')</script>\"></iframe>",
)
ALL = " ".join(PAYLOADS)


def hostile_message() -> bytes:
    """The bundled example with markup in the Subject, the display name, HELO, Received, A-R and the body."""
    helo = "<svg/onload=alert('helo')>"
    lines = [
        "Return-Path: <\"<img src=x onerror=alert('rp')>\"@vps-2291.cheaphost.example>",
        "Received: from mx1.inbound.fabrikam.example ([198.51.100.5])",
        "\tby store2.inbound.fabrikam.example with LMTP id 8f1Qm2c0a0c",
        "\tfor <dana@fabrikam.example>; Tue, 24 Nov 2026 06:02:11 +0000",
        "Authentication-Results: mx1.inbound.fabrikam.example;",
        "\tdkim=none (<script>alert('ar')</script>);",
        "\tspf=pass smtp.mailfrom=kxq8f2@vps-2291.cheaphost.example;",
        "\tdmarc=fail (p=NONE sp=NONE dis=NONE) header.from=fabrikam.example",
        f"Received: from {helo} (vps-2291.cheaphost.example [203.0.113.91])",
        "\tby mx1.inbound.fabrikam.example (Postfix) with ESMTP id 4Lq2Zt0Hn3z1",
        "\tfor <dana@fabrikam.example>; Tue, 24 Nov 2026 06:02:10 +0000 (UTC)",
        f"From: \"{PAYLOADS[1]} {PAYLOADS[3]}\" <dana@fabrikam.example>",
        "To: dana@fabrikam.example",
        f"Subject: {PAYLOADS[0]} {PAYLOADS[5]}",
        f"X-Evil: {ALL}",
        "Date: Tue, 24 Nov 2026 07:01:58 +0100",
        "Message-ID: <x@fabrikam.example>",
        "DKIM-Signature: v=1; a=rsa-sha256; d=<script>alert('d')</script>.example; s=<img src=x onerror=alert(9)>;",
        "\th=from; bh=AAAA; b=AAAA",
        "",
        ALL,
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def hostile_lookalike() -> bytes:
    """A look-alike whose display name carries the owner's address and markup."""
    return ("From: \"dana@fabrikam.example <svg/onload=alert('la')>\" <dana@fabrikarn.example>\r\n"
            "To: dana@fabrikam.example\r\n"
            f"Subject: {PAYLOADS[2]}\r\n"
            "Received: from x (<script>alert(1)</script> [203.0.113.7]) by mx1.inbound.fabrikam.example;"
            " Tue, 24 Nov 2026 06:02:10 +0000\r\n\r\nhi\r\n").encode()


def hostile_dns() -> dict:
    """A domain whose own DNS records carry markup (they are attacker text too)."""
    return {
        "evil.example": {
            "MX": ["10 mx.evil.example"],
            "TXT": ["v=spf1 include:<script>alert('spf')</script>.example a:<img/src=x/onerror=alert(2)> ~all",
                    "v=spf1 +all <svg/onload=alert('spf2')>"],
        },
        "_dmarc.evil.example": {"TXT": ["v=DMARC1; p=none; rua=mailto:<img src=x onerror=alert('rua')>@x.example;"
                                        " ruf=mailto:\"><script>alert('ruf')</script>"]},
        "mx.evil.example": {"A": ["192.0.2.1"]},
        "default._domainkey.evil.example": {"TXT": ["v=DKIM1; k=rsa; p=<script>alert('dkim')</script>"]},
    }


def hostile_reports() -> list[tuple[dict, list[dict]]]:
    """Aggregate reports (SPEC section 12 shape) whose reporter, report id, domains and results carry markup."""
    begin = 1709251200  # 2024-03-01

    def record(ip: str, count: int, passed: bool, dkim_domain: str) -> dict:
        word = "pass" if passed else "fail"
        return {
            "source_ip": ip, "count": count,
            "policy_evaluated": {"disposition": "none", "dkim": word, "spf": word,
                                 "reasons": [{"type": "<script>alert('reason')</script>", "comment": ALL}]},
            "identifiers": {"header_from": "fabrikam.example", "envelope_from": PAYLOADS[1], "envelope_to": None},
            "auth_results": {
                "dkim": [{"domain": dkim_domain, "selector": PAYLOADS[2], "result": word, "human_result": ALL}],
                "spf": [{"domain": dkim_domain, "scope": "mfrom", "result": word, "human_result": None}],
            },
        }

    out = []
    for n in range(3):
        header = {
            "kind": "aggregate",
            "report_metadata": {"org_name": f"{PAYLOADS[n]} receiver", "email": f"{PAYLOADS[3]}@evil.example",
                                "extra_contact_info": PAYLOADS[4], "report_id": f"{PAYLOADS[5]}-{n}",
                                "date_range": {"begin": begin + n * 86400, "end": begin + (n + 1) * 86400 - 1},
                                "errors": [PAYLOADS[6]], "generator": PAYLOADS[7]},
            "policy_published": {"domain": "fabrikam.example", "p": "none", "sp": None, "np": None, "adkim": "r",
                                 "aspf": "r", "pct": 100, "fo": None, "testing": None, "discovery_method": None},
            "warnings": [],
        }
        records = [record("192.0.2.10", 40 + n, True, "fabrikam.example"),
                   record("203.0.113.66", 7, False, "<img src=x onerror=alert('d')>.example"),
                   record("198.51.100.77", 3, False, "\"><svg/onload=alert('x')>")]
        out.append((header, records))
    odd = {**out[0][0], "policy_published": {**out[0][0]["policy_published"], "domain": "<svg/onload=alert('dom')>"},
           "report_metadata": {**out[0][0]["report_metadata"], "report_id": "<script>alert('odd')</script>"}}
    out.append((odd, [record("192.0.2.99", 1, False, "x.example")]))
    return out


def hostile_reverse_dns() -> dict:
    """PTR names that carry markup (whoever holds an address block writes its PTR records)."""
    return {
        "10.2.0.192.in-addr.arpa": {"PTR": ["mail.fabrikam.example"]},
        "mail.fabrikam.example": {"A": ["192.0.2.10"]},
        "66.113.0.203.in-addr.arpa": {"PTR": ["<script>alert('ptr')</script>.evil.example"]},
        "<script>alert('ptr')</script>.evil.example": {"A": ["203.0.113.66"]},
        "77.100.51.198.in-addr.arpa": {"PTR": ["<img src=x onerror=alert('ptr2')>.evil.example"]},
    }
