"""``mailwarden spf`` as a user runs it (SPEC section 5)."""

from __future__ import annotations

import json

ZONE = {"example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"]},
        "_spf.example.net": {"TXT": ["v=spf1 ip4:198.51.100.0/24 ~all"]},
        "helo.example.org": {"TXT": ["v=spf1 a -all"], "A": ["203.0.113.5"]}}
SPEC_KEYS = {"result", "domain", "explanation", "lookups", "void_lookups", "mechanism"}


def snapshot(tmp_path):
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(ZONE))
    return str(path)


def test_json_has_the_spec_fields(cli, tmp_path):
    proc = cli("spf", "--ip", "198.51.100.7", "--mail-from", "u@example.com", "--helo", "x.example.org",
               "--dns", snapshot(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= SPEC_KEYS
    assert (out["result"], out["domain"], out["lookups"], out["void_lookups"], out["mechanism"]) == (
        "pass", "example.com", 1, 0, "include:_spf.example.net")
    assert out["explanation"] is None and out["chain"][0]["target"] == "_spf.example.net"


def test_empty_mail_from_checks_helo(cli, tmp_path):
    proc = cli("spf", "--ip", "203.0.113.5", "--mail-from", "", "--helo", "helo.example.org",
               "--dns", snapshot(tmp_path), "--json")
    out = json.loads(proc.stdout)
    assert (out["result"], out["domain"], out["identity"]) == ("pass", "helo.example.org", "helo")


def test_fail_human_output(cli, tmp_path):
    proc = cli("spf", "--ip", "203.0.113.99", "--mail-from", "u@example.com", "--helo", "x.example.org",
               "--dns", snapshot(tmp_path))
    text = proc.stdout.decode()
    assert proc.returncode == 0
    assert "SPF FAIL" in text and "NOT allowed" in text and "'-all'" in text and "1 of 10" in text


def test_bad_ip_and_bad_snapshot_exit_2(cli, tmp_path):
    proc = cli("spf", "--ip", "999.1.1.1", "--mail-from", "u@example.com", "--helo", "x", "--json")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr and proc.stdout == b""
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = cli("spf", "--ip", "192.0.2.1", "--mail-from", "u@example.com", "--helo", "x", "--dns", str(bad))
    assert proc.returncode == 2 and len(proc.stderr.decode().strip().splitlines()) == 1
