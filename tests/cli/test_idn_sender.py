"""International sender domains are looked up as A-labels (issue 15 point 7, RFC 8616 section 4).

Before the fix `check` reported SPF none for an IDN sender that `spf` passes,
and `diagnose` called the difference "the SPF record changed since delivery".
"""

from __future__ import annotations

import json

ACE = "xn--bcher-kva.example"
ZONE = {ACE: {"TXT": ["v=spf1 ip4:192.0.2.5 -all"]}, f"_dmarc.{ACE}": {"TXT": ["v=DMARC1; p=reject"]}}
MESSAGE = f"""Return-Path: <info@bücher.example>
Authentication-Results: mx.mailhost.example; spf=pass smtp.mailfrom=info@{ACE}; dkim=none;
\tdmarc=pass header.from={ACE}
Received: from mail.bücher.example (mail.{ACE} [192.0.2.5])
\tby mx.mailhost.example (Postfix) with ESMTPS id 1
\tfor <alice@example.com>; Sat, 21 Nov 2026 10:48:34 +0000 (UTC)
From: Bücher <info@bücher.example>
To: alice@example.com
Subject: Neue Bücher
Date: Sat, 21 Nov 2026 10:48:30 +0000
Message-ID: <1@{ACE}>
Content-Type: text/plain; charset=utf-8

Hallo
""".encode()


def _files(tmp_path):
    msg, dns = tmp_path / "idn.eml", tmp_path / "dns.json"
    msg.write_bytes(MESSAGE)
    dns.write_text(json.dumps(ZONE))
    return str(msg), str(dns)


def test_spf_with_a_unicode_mail_from_passes(cli, tmp_path):
    _, dns = _files(tmp_path)
    for sender in ("info@bücher.example", f"info@{ACE}"):
        out = json.loads(cli("spf", "--ip", "192.0.2.5", "--mail-from", sender, "--helo", "mail", "--dns", dns,
                             "--json").stdout)
        assert out["result"] == "pass" and out["domain"] == ACE


def test_check_passes_spf_and_dmarc_for_an_idn_sender(cli, tmp_path):
    msg, dns = _files(tmp_path)
    out = json.loads(cli("check", msg, "--dns", dns, "--json").stdout)
    assert out["spf"]["result"] == "pass"
    assert out["dmarc"]["result"] == "pass" and out["dmarc"]["alignment"]["spf"] is True


def test_diagnose_sees_no_false_spf_change_since_delivery(cli, tmp_path):
    msg, dns = _files(tmp_path)
    proc = cli("diagnose", msg, "--dns", dns, "--domain", "bücher.example", "--trusted-authserv-id",
               "mx.mailhost.example", "--json")
    out = json.loads(proc.stdout)
    assert out["verdict"] == "authentic"
    assert not out["disagreements"]
    assert not any("changed since delivery" in e["detail"] for e in out["evidence"])
