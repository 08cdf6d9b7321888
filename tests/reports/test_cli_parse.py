"""``mailwarden reports parse FILE... [--json]`` (SPEC section 12) as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_parse_json_lists_reports_and_errors(corpora: Path, tmp_path: Path) -> None:
    samples = corpora / "dmarc-reports" / "parsedmarc" / "samples"
    done = run_cli("reports", "parse", "--json", str(samples / "extract_report" / "nice-input.xml.gz"),
                   str(samples / "empty.xml"), str(samples / "smtp_tls" / "rfc8460.json"), str(tmp_path / "missing"))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"reports", "errors"}
    aggregate, tls = data["reports"]
    assert aggregate["kind"] == "aggregate" and len(aggregate["records"]) == 20
    assert aggregate["records"][0]["source_ip"] == "209.85.220.69"
    assert tls["kind"] == "tls" and tls["organization-name"] == "Company-X"
    assert [e["source"] for e in data["errors"]] == [str(samples / "empty.xml"), str(tmp_path / "missing")]
    assert all(e["error"] for e in data["errors"])


def test_parse_human_output_and_stdin(corpora: Path) -> None:
    path = corpora / "dmarc-reports" / "parsedmarc" / "samples" / "aggregate" / "rfc9990-sample.xml"
    done = run_cli("reports", "parse", "-", input=path.read_bytes())
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "DMARC aggregate report from Sample Reporter about example.com" in text
    assert "123 messages from 1 sources in 1 records" in text


def test_parse_without_files_is_a_usage_error() -> None:
    done = run_cli("reports", "parse")
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
