"""Generated DMARC aggregate reports for the reports workload (deterministic, cached).

A report looks like a large receiver's (Google-style layout, pretty-printed,
~650 bytes per record): records from 2,000 sources across IPv4 and IPv6, counts
from 1 to 5,000, DKIM pass/fail with one to three signatures, SPF with a
scope, the odd override reason.  ``aggregate-N.xml`` holds N records and
``aggregate-N.expected.json`` the outcome line of every record
(``"ip count dkim spf"``) that every tool must reproduce.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SEED = "mailwarden-bench-reports-v1"
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata>
    <org_name>bigreceiver.example</org_name>
    <email>noreply-dmarc-support@bigreceiver.example</email>
    <extra_contact_info>https://support.bigreceiver.example/dmarc</extra_contact_info>
    <report_id>{report_id}</report_id>
    <date_range>
      <begin>1718236800</begin>
      <end>1718323199</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain>
    <adkim>r</adkim>
    <aspf>r</aspf>
    <p>quarantine</p>
    <sp>quarantine</sp>
    <pct>100</pct>
    <np>reject</np>
  </policy_published>
"""
RECORD = """  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated>
        <disposition>{disposition}</disposition>
        <dkim>{dkim}</dkim>
        <spf>{spf}</spf>{reason}
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.com</header_from>
      <envelope_from>{envelope}</envelope_from>
    </identifiers>
    <auth_results>{signatures}
      <spf>
        <domain>{envelope}</domain>
        <scope>mfrom</scope>
        <result>{spf_raw}</result>
      </spf>
    </auth_results>
  </record>
"""
SIGNATURE = """
      <dkim>
        <domain>{domain}</domain>
        <selector>{selector}</selector>
        <result>{result}</result>
      </dkim>"""
REASON = """
        <reason>
          <type>{kind}</type>
          <comment>{comment}</comment>
        </reason>"""


def _sources(rng: random.Random, count: int) -> list[str]:
    out = []
    for i in range(count):
        if i % 5 == 4:
            out.append(f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
        else:
            out.append(f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
    return out


def write_aggregate(path: Path, records: int, seed: str = SEED) -> list[str]:
    """Write an ``records``-record report to ``path``; returns the expected outcome lines."""
    rng = random.Random(f"{seed}:{records}")
    sources = _sources(rng, 2000)
    envelopes = ["example.com", "bounces.mailer.example", "mail.crm.example", "forwarder.example"]
    expected = []
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(HEAD.format(report_id=f"bench-{records}"))
        for _ in range(records):
            ip = rng.choice(sources)
            count = rng.choice((1, 1, 1, 2, 3, 5, 12, 40, 250, 5000))
            dkim_aligned = rng.random() < 0.7
            spf_aligned = rng.random() < 0.6
            dkim, spf = ("pass" if dkim_aligned else "fail"), ("pass" if spf_aligned else "fail")
            envelope = "example.com" if spf_aligned else rng.choice(envelopes[1:])
            signatures = "".join(
                SIGNATURE.format(domain=domain, selector=f"s{rng.randrange(1000)}", result=result)
                for domain, result in ([("example.com", "pass" if dkim_aligned else "fail")]
                                       + [("esp.example", "pass")] * rng.randrange(0, 3)))
            reason = REASON.format(kind="forwarded", comment="list expansion") if rng.random() < 0.03 else ""
            disposition = "none" if dkim_aligned or spf_aligned or reason else "quarantine"
            out.write(RECORD.format(ip=ip, count=count, disposition=disposition, dkim=dkim, spf=spf, reason=reason,
                                    envelope=envelope, signatures=signatures,
                                    spf_raw="pass" if spf_aligned else "softfail"))
            expected.append(f"{ip} {count} {dkim} {spf}")
        out.write("</feedback>\n")
    tmp.replace(path)
    return expected


def ensure_aggregate(root: Path, records: int) -> tuple[Path, Path]:
    """``root/reports/aggregate-N.xml`` and its expected outcomes, generated when absent."""
    folder = root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / f"aggregate-{records}.xml"
    expected = folder / f"aggregate-{records}.expected.json"
    if not (report.exists() and expected.exists()):
        outcomes = write_aggregate(report, records)
        expected.write_text(json.dumps(outcomes))
    return report, expected
