"""``mailwarden reports ingest | summary | sources | export`` as a user runs them (SPEC section 12)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.reports.helpers import DAY, T0


def run(*args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("MAILWARDEN_DB", "MAILWARDEN_IMAP_PASSWORD")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "mailwarden", "reports", *args], capture_output=True, text=True,
                          timeout=120, env=environment, input=input.decode() if input else None, check=False)


def report_xml(report_id: str, begin: int, rows: list[tuple[str, int, str, str, str]], *, p: str = "none") -> str:
    records = "".join(
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        f"<disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated></row>"
        f"<identifiers><header_from>example.com</header_from></identifiers><auth_results>{auth}</auth_results></record>"
        for ip, count, dkim, spf, auth in rows
    )
    return (f'<?xml version="1.0"?><feedback><report_metadata><org_name>google.com</org_name>'
            f"<email>noreply-dmarc-support@google.com</email><report_id>{report_id}</report_id>"
            f"<date_range><begin>{begin}</begin><end>{begin + DAY - 1}</end></date_range></report_metadata>"
            f"<policy_published><domain>example.com</domain><p>{p}</p><pct>100</pct></policy_published>"
            f"{records}</feedback>")


OWN = "<dkim><domain>example.com</domain><result>pass</result></dkim>"
SENDGRID = "<dkim><domain>sendgrid.net</domain><result>pass</result></dkim>"
NONE = "<spf><domain>evil.example</domain><result>pass</result></spf>"


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for day in range(8):
        rows = [("192.0.2.10", 100, "pass", "pass", OWN), ("192.0.2.1", 5, "fail", "fail", SENDGRID),
                ("192.0.2.66", 3, "fail", "fail", NONE)]
        (folder / f"r{day}.xml").write_text(report_xml(f"id-{day}", T0 + day * DAY, rows))
    (folder / "notes.txt").write_text("not a report")
    return folder


def test_ingest_prints_counts_and_is_idempotent(tmp_path: Path, reports_dir: Path) -> None:
    db = str(tmp_path / "r.db")
    first = run("ingest", str(reports_dir), "--db", db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("8 report(s) added, 0 already known, 1 rejected.")
    assert "notes.txt" in first.stdout
    again = run("ingest", str(reports_dir), "--json", env={"MAILWARDEN_DB": db})
    assert again.returncode == 0
    assert {k: v for k, v in json.loads(again.stdout).items() if k != "errors"} == {
        "added": 0, "known": 8, "rejected": 1, "moved": 0}


def test_default_store_is_in_the_xdg_data_directory(tmp_path: Path, reports_dir: Path) -> None:
    result = run("ingest", str(reports_dir / "r0.xml"), env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg" / "mailwarden" / "reports.db").is_file()


def test_summary_json_and_digest(tmp_path: Path, reports_dir: Path) -> None:
    db = str(tmp_path / "r.db")
    run("ingest", str(reports_dir), "--db", db)
    data = json.loads(run("summary", "--db", db, "--offline", "--json").stdout)
    [domain] = data["domains"]
    assert (domain["domain"], domain["messages"], domain["passed"]) == ("example.com", 864, 800)
    assert {k: v["messages"] for k, v in domain["buckets"].items()} == {
        "authorized": 800, "forwarded": 0, "misconfigured": 40, "unauthorized": 24}
    assert domain["readiness"]["next_step"] == "p=quarantine" and domain["readiness"]["ready"] is False
    assert data["rejected_total"] == 1 and data["rejected"][0]["source"].endswith("notes.txt")
    text = run("summary", "--db", db, "--offline").stdout
    assert text.startswith("example.com: 92.6% of 864 messages passed DMARC (2024-03-01 to 2024-03-08")
    assert "24 message(s) from 1 source(s) look like spoofing" in text
    assert "not yet ready for p=quarantine" in text and "1 misconfigured source(s) would be blocked" in text
    assert "1 input(s) could not be read as reports" in text


def test_sources_with_reverse_dns_from_a_snapshot(tmp_path: Path, reports_dir: Path) -> None:
    db = str(tmp_path / "r.db")
    run("ingest", str(reports_dir), "--db", db)
    dns = tmp_path / "dns.json"
    dns.write_text(json.dumps({"1.2.0.192.in-addr.arpa": {"PTR": ["o1.ptr42.sendgrid.net"]},
                               "o1.ptr42.sendgrid.net": {"A": ["192.0.2.1"]},
                               "66.2.0.192.in-addr.arpa": {"PTR": ["mail.sendgrid.net"]}}))
    listing = json.loads(run("sources", "--db", db, "--dns", str(dns), "--json").stdout)
    by_ip = {s["ip"]: s for s in listing["sources"]}
    assert by_ip["192.0.2.1"]["reverse_dns"] == "o1.ptr42.sendgrid.net" and by_ip["192.0.2.1"]["reverse_dns_confirmed"]
    assert by_ip["192.0.2.1"]["provider"] == "Twilio SendGrid" and by_ip["192.0.2.1"]["org_domain"] == "sendgrid.net"
    assert by_ip["192.0.2.66"]["bucket"] == "unauthorized" and not by_ip["192.0.2.66"]["reverse_dns_confirmed"]
    only = json.loads(run("sources", "--db", db, "--offline", "--bucket", "unauthorized", "--json").stdout)
    assert [s["ip"] for s in only["sources"]] == ["192.0.2.66"]
    text = run("sources", "--db", db, "--dns", str(dns), "--domain", "example.com").stdout
    assert "mail.sendgrid.net (unconfirmed)" in text


def test_export_json_and_csv(tmp_path: Path, reports_dir: Path) -> None:
    db = str(tmp_path / "r.db")
    run("ingest", str(reports_dir), "--db", db)
    data = json.loads(run("export", "--db", db).stdout)
    assert data["kind"] == "aggregate" and len(data["rows"]) == 24
    assert data["rows"][0]["report_id"] == "id-0" and data["rows"][0]["auth_results"]["dkim"][0]["domain"]
    rows = list(csv.DictReader(io.StringIO(run("export", "--db", db, "--format", "csv", "--since", "2024-03-08").stdout)))
    assert len(rows) == 3 and {r["source_ip"] for r in rows} == {"192.0.2.10", "192.0.2.1", "192.0.2.66"}
    assert json.loads(run("export", "--db", db, "--kind", "tls", "--json").stdout) == {"kind": "tls", "rows": []}


def test_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.xml").write_text(report_xml("=HYPERLINK(1)", T0, [("192.0.2.1", 1, "fail", "fail", NONE)]))
    db = str(tmp_path / "r.db")
    run("ingest", str(folder), "--db", db)
    rows = list(csv.DictReader(io.StringIO(run("export", "--db", db, "--format", "csv").stdout)))
    assert rows[0]["report_id"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("summary", "--db", "mysql://x@127.0.0.1/db"), "unsupported database"),
        (("summary", "--since", "yesterday"), "not a date"),
        (("ingest",), "give SOURCE"),
        (("ingest", "--imap", "imap://u@mail.example.com/INBOX"), "plain imap:// is allowed only"),
        (("ingest", "--imap", "imaps://u:pw@mail.example.com/INBOX"), "never put the password"),
        (("ingest", "--imap", "imaps://u@mail.example.com/INBOX"), "MAILWARDEN_IMAP_PASSWORD"),
    ],
)
def test_bad_usage_is_one_clear_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_postgresql_is_exit_2_without_the_password(tmp_path: Path) -> None:
    from tests.support.nsd import free_port

    result = run("summary", "--db", f"postgresql://u:hunter2@127.0.0.1:{free_port()}/x")
    assert result.returncode == 2 and "cannot open the report store" in result.stderr
    assert "hunter2" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
