"""``mailwarden check`` end to end (SPEC section 5): real DKIM signatures made
with our signer, DNS from snapshot files, JSON checked field by field."""

from __future__ import annotations

import json

import pytest

from mailwarden.dkim import generate_key, sign_message
from mailwarden.message import parse_message

NOW = 1_700_000_000


@pytest.fixture(scope="module")
def key():
    return generate_key("ed25519")


def signed(raw: bytes, key, domain="example.com", selector="s1") -> bytes:
    field = sign_message(parse_message(raw), domain, selector, key.private_pem, algorithm="ed25519-sha256", now=NOW)
    return field + raw


def zone(key, **extra):
    data = {
        "s1._domainkey.example.com": {"TXT": [key.txt_record]},
        "_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject"]},
        "_dmarc.example.net": {"TXT": ["v=DMARC1; p=reject"]},
        "example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"], "A": ["192.0.2.10"]},
    }
    data.update(extra)
    return data


def run_check(cli, tmp_path, message: bytes, dns: dict, *args: str):
    (tmp_path / "m.eml").write_bytes(message)
    (tmp_path / "dns.json").write_text(json.dumps(dns))
    proc = cli("check", str(tmp_path / "m.eml"), "--dns", str(tmp_path / "dns.json"), "--json",
               "--now", str(NOW), *args)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


BASIC = (b"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n"
         b"Message-ID: <1@example.com>\r\n\r\nHello.\r\n")


def test_spec_shape_and_pass(cli, tmp_path, key):
    out = run_check(cli, tmp_path, signed(BASIC, key), zone(key), "--ip", "192.0.2.7", "--helo", "mx.example.com",
                    "--mail-from", "bounce@example.com", "--authserv-id", "mx.test")
    assert set(out) >= {"spf", "dkim", "arc", "dmarc", "authentication_results"}
    assert {"result", "domain", "explanation", "lookups", "void_lookups", "mechanism"} <= set(out["spf"])
    assert out["spf"]["result"] == "pass"
    sig = out["dkim"]["signatures"][0]
    assert (sig["domain"], sig["selector"], sig["result"]) == ("example.com", "s1", "pass")
    assert out["arc"]["cv"] == "none"
    d = out["dmarc"]
    assert {"result", "from_domain", "organizational_domain", "policy", "applied_policy", "alignment",
            "record"} <= set(d)
    assert (d["result"], d["from_domain"], d["policy"], d["record"]) == ("pass", "example.com", "reject",
                                                                         "v=DMARC1; p=reject")
    assert d["alignment"] == {"spf": True, "dkim": True}
    ar = out["authentication_results"]
    assert ar.startswith("Authentication-Results: mx.test; spf=pass smtp.mailfrom=bounce@example.com; dkim=pass")
    assert "dmarc=pass" in ar and "header.from=example.com" in ar and "arc=none" in ar
    assert out["envelope"]["source"] == {"ip": "option", "helo": "option", "mail_from": "option"}


def test_envelope_from_message(cli, tmp_path, key):
    raw = (b"Return-Path: <bounce@example.com>\r\n"
           b"Received: from localhost (localhost [127.0.0.1]) by mx.test (amavis); Tue, 14 Nov 2023 22:13:20 +0000\r\n"
           b"Received: from out.example.com (out.example.com [192.0.2.7]) by mx.test (Postfix) with ESMTPS id X;"
           b" Tue, 14 Nov 2023 22:13:19 +0000\r\n"
           b"Received: from forged (forged [198.51.100.1]) by somewhere; Tue, 14 Nov 2023 22:13:18 +0000\r\n" + BASIC)
    out = run_check(cli, tmp_path, raw, zone(key), "--authserv-id", "mx.test")
    env = out["envelope"]
    assert (env["ip"], env["helo"], env["mail_from"]) == ("192.0.2.7", "out.example.com", "bounce@example.com")
    assert env["source"] == {"ip": "received", "helo": "received", "mail_from": "return-path"}
    assert env["received_hop"] == 1
    assert out["spf"]["result"] == "pass"
    assert out["dmarc"]["result"] == "pass" and out["dmarc"]["alignment"]["spf"] is True


def test_no_ip_anywhere_spf_not_run(cli, tmp_path, key):
    out = run_check(cli, tmp_path, BASIC, zone(key), "--authserv-id", "mx.test")
    assert out["spf"]["result"] == "none" and "no client IP" in out["spf"]["problem"]
    assert out["dmarc"]["result"] == "fail"
    assert out["dkim"]["signatures"] == []
    assert "dkim=none" in out["authentication_results"]


def test_forged_own_authserv_id_is_never_trusted(cli, tmp_path, key):
    """CVE-2019-20790 class: results claiming our authserv-id, added before us."""
    raw = (b"Authentication-Results: mx.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com;"
           b" dmarc=pass header.from=example.com\r\n"
           b"Received-SPF: pass (mx.test: domain of example.com designates 203.0.113.9 as permitted sender)"
           b" receiver=mx.test; client-ip=203.0.113.9; envelope-from=a@example.com\r\n"
           b"Authentication-Results: other.example; spf=pass smtp.mailfrom=example.com\r\n" + BASIC)
    out = run_check(cli, tmp_path, raw, zone(key), "--ip", "203.0.113.9", "--helo", "evil.example",
                    "--mail-from", "a@example.com", "--authserv-id", "MX.test")
    assert out["spf"]["result"] == "fail"
    assert out["dmarc"]["result"] == "fail" and out["dmarc"]["disposition"] == "reject"
    claims = out["trust"]["ignored_own_claims"]
    assert [c["header"] for c in claims] == ["Authentication-Results", "Received-SPF"]
    assert out["trust"]["ignored_other_results"] == 1
    assert "dmarc=fail" in out["authentication_results"] and "dmarc=pass" not in out["authentication_results"]


def test_comment_in_from_domain(cli, tmp_path, key):
    """CVE-2020-12272 class: a valid example.com signature does not pass DMARC for example.net."""
    raw = b"From: <user@example.net(.example.com)>\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    out = run_check(cli, tmp_path, signed(raw, key), zone(key), "--ip", "203.0.113.9", "--helo", "h.example",
                    "--mail-from", "x@h.example", "--authserv-id", "mx.test")
    assert out["dkim"]["signatures"][0]["result"] == "pass"
    d = out["dmarc"]
    assert (d["from_domain"], d["result"], d["policy"]) == ("example.net", "fail", "reject")
    assert "header.from=example.net" in out["authentication_results"]


def test_several_from_domains_reported_worst_applies(cli, tmp_path, key):
    raw = b"From: a@example.com, b@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    dns = zone(key, **{"_dmarc.example.org": {"TXT": ["v=DMARC1; p=none"]}})
    out = run_check(cli, tmp_path, signed(raw, key), dns, "--authserv-id", "mx.test")
    d = out["dmarc"]
    assert d["from_domains"] == ["example.com", "example.org"]
    # two mailboxes: an ambiguous author, so the example.com pass is withdrawn and its p=reject applies
    assert (d["result"], d["from_domain"], d["policy"]) == ("fail", "example.com", "reject")
    assert {x["from_domain"]: x["result"] for x in d["domains"]} == {"example.com": "fail", "example.org": "fail"}
    assert "ambiguous From" in out["authentication_results"]


def test_rfc7489_mode_honours_pct(cli, tmp_path, key):
    dns = zone(key, **{"_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; pct=0"]}})
    legacy = run_check(cli, tmp_path, BASIC, dns, "--authserv-id", "mx.test", "--dmarc-mode", "rfc7489")
    assert (legacy["dmarc"]["applied_policy"], legacy["dmarc"]["disposition"]) == ("quarantine", "quarantine")
    modern = run_check(cli, tmp_path, BASIC, dns, "--authserv-id", "mx.test")
    assert modern["dmarc"]["disposition"] == "reject"


@pytest.mark.parametrize(
    "args",
    [["--ip", "not-an-ip"], ["--authserv-id", "bad id;"], ["--dmarc-mode", "rfc1"]],
)
def test_usage_errors_exit_2(cli, tmp_path, args):
    (tmp_path / "m.eml").write_bytes(BASIC)
    proc = cli("check", str(tmp_path / "m.eml"), "--dns", str(tmp_path / "m.eml"), "--json", *args)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_unreadable_or_empty_input_exit_2(cli, tmp_path):
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "dns.json").write_text("{}")
    for path, needle in ((tmp_path / "missing.eml", "cannot read"), (tmp_path / "empty.eml", "empty")):
        proc = cli("check", str(path), "--dns", str(tmp_path / "dns.json"), "--json")
        assert proc.returncode == 2
        lines = proc.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and needle in lines[0]


def test_human_output(cli, tmp_path, key):
    (tmp_path / "m.eml").write_bytes(signed(BASIC, key))
    (tmp_path / "dns.json").write_text(json.dumps(zone(key)))
    proc = cli("check", str(tmp_path / "m.eml"), "--dns", str(tmp_path / "dns.json"), "--now", str(NOW),
               "--authserv-id", "mx.test")
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "DMARC PASS for example.com" in text and "Authentication-Results: mx.test;" in text
