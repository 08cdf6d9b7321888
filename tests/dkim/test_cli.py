"""``mailwarden dkim verify|sign|keygen`` as a user runs them (SPEC sections 3 and 5)."""

from __future__ import annotations

import json

from .conftest import MESSAGE, pem


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


def test_sign_then_verify(cli, tmp_path, zone, rsa_key, ed_key):
    dns = write(tmp_path, "dns.json", json.dumps(zone))
    msg = write(tmp_path, "m.eml", MESSAGE)
    rsa_pem = write(tmp_path, "rsa.pem", pem(rsa_key))
    ed_pem = write(tmp_path, "ed.pem", pem(ed_key))
    once = cli("dkim", "sign", msg, "--domain", "example.com", "--selector", "rsa", "--key", rsa_pem,
               "--canonicalization", "simple/relaxed", "--headers", "from:subject:date")
    assert once.returncode == 0, once.stderr
    assert once.stdout.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=simple/relaxed;")
    assert once.stdout.endswith(MESSAGE)
    twice = cli("dkim", "sign", "-", "-d", "example.com", "-s", "ed", "--key", ed_pem,
                "--algorithm", "ed25519-sha256", input=once.stdout)
    assert twice.returncode == 0, twice.stderr
    out = cli("dkim", "verify", "-", "--dns", dns, "--json", input=twice.stdout)
    assert out.returncode == 0, out.stderr
    sigs = json.loads(out.stdout)["signatures"]
    assert [(s["selector"], s["algorithm"], s["result"]) for s in sigs] == [
        ("ed", "ed25519-sha256", "pass"), ("rsa", "rsa-sha256", "pass")]
    assert sigs[1]["signed_headers"] == ["from", "subject", "date"] and sigs[1]["key_bits"] == 2048
    human = cli("dkim", "verify", "-", "--dns", dns, input=twice.stdout.replace(b"Hello", b"Jello"))
    assert human.returncode == 0 and b"FAIL" in human.stdout and b"body hash mismatch" in human.stdout


def test_lf_input_keeps_lf(cli, tmp_path, zone, rsa_key):
    msg = write(tmp_path, "m.eml", MESSAGE.replace(b"\r\n", b"\n"))
    out = cli("dkim", "sign", msg, "-d", "example.com", "-s", "rsa", "--key", write(tmp_path, "k", pem(rsa_key)))
    assert out.returncode == 0 and b"\r" not in out.stdout
    dns = write(tmp_path, "dns.json", json.dumps(zone))
    res = cli("dkim", "verify", "-", "--dns", dns, "--json", input=out.stdout)
    assert json.loads(res.stdout)["signatures"][0]["result"] == "pass"


def test_input_errors_exit_2(cli, tmp_path, rsa_key):
    msg = write(tmp_path, "m.eml", MESSAGE)
    bad_key = write(tmp_path, "bad.pem", b"not a key")
    out = cli("dkim", "sign", msg, "-d", "example.com", "-s", "x", "--key", bad_key)
    assert out.returncode == 2 and b"key" in out.stderr and b"Traceback" not in out.stderr
    out = cli("dkim", "verify", str(tmp_path / "missing.eml"), "--dns", write(tmp_path, "d.json", "{}"))
    assert out.returncode == 2 and out.stderr.count(b"\n") == 1
    out = cli("dkim", "sign", msg, "-d", "example.com", "-s", "x", "--key", write(tmp_path, "k", pem(rsa_key)),
              "--canonicalization", "loose/loose")
    assert out.returncode == 2


def test_keygen(cli, tmp_path):
    out_file = tmp_path / "sel.pem"
    out = cli("dkim", "keygen", "--type", "ed25519", "-s", "sel", "-d", "example.org", "--out", str(out_file), "--json")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["name"] == "sel._domainkey.example.org" and obj["value"].startswith("v=DKIM1; k=ed25519; p=")
    assert out_file.stat().st_mode & 0o777 == 0o600
    again = cli("dkim", "keygen", "--out", str(out_file))
    assert again.returncode == 2 and b"already exists" in again.stderr
    # the generated key signs, and the printed record verifies
    dns = write(tmp_path, "dns.json", json.dumps({"sel._domainkey.example.org": {"TXT": [obj["value"]]}}))
    signed = cli("dkim", "sign", write(tmp_path, "m.eml", MESSAGE), "-d", "example.org", "-s", "sel",
                 "--key", str(out_file), "-a", "ed25519-sha256")
    res = cli("dkim", "verify", "-", "--dns", dns, "--json", input=signed.stdout)
    assert json.loads(res.stdout)["signatures"][0]["result"] == "pass"
    human = cli("dkim", "keygen", "--bits", "1024", "--out", str(tmp_path / "r.pem"))
    assert human.returncode == 0 and b'mail._domainkey IN TXT "v=DKIM1; k=rsa; p=' in human.stdout
