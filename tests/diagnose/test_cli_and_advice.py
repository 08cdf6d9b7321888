"""The command line (JSON and human order), advice for the domain's posture, the allowlist trap,
third-party senders and the cross-check with the provider's results."""

from __future__ import annotations

import json

from tests.diagnose.conftest import run

THIRD_PARTY = b"""Return-Path: <bounces+123@example.com>
Received: from o1.mailer.example (o1.mailer.example [198.51.100.9])
\tby mx.mailhost.example (Postfix) with ESMTPS id 1; Mon, 09 Nov 2026 21:42:07 +0000
From: Alice <alice@example.com>
To: bob@elsewhere.example
Subject: Invoice

hello
"""
THIRD_PARTY_DNS = {
    "example.com": {"TXT": ["v=spf1 include:_spf.mailhost.example include:sendgrid.net -all"]},
    "_spf.mailhost.example": {"TXT": ["v=spf1 ip4:192.0.2.32/28 -all"]},
    "sendgrid.net": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none"]},
}


def _case_args(case):
    return [str(case.folder / "message.eml"), "--dns", str(case.folder / "dns.json"), *case.meta["args"]]


def test_cli_json_is_one_object_with_spec_fields(cases, cli):
    case = cases["spoofed-botnet-envelope-random"]
    proc = cli("diagnose", *_case_args(case), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "spoofed"
    assert set(data["auth"]) >= {"spf", "dkim", "arc", "dmarc", "authentication_results"}
    assert data["auth"]["authentication_results"].startswith("Authentication-Results: mailwarden;")


def test_cli_human_output_answer_then_why_then_what_to_do(cases, cli):
    case = cases["authentic-webmail-compromised"]
    proc = cli("diagnose", *_case_args(case))
    out = proc.stdout.decode()
    assert proc.returncode == 0
    assert out.startswith("REALLY SENT")
    assert out.index("through your account") < out.index("Why:") < out.index("What to do:")
    assert "Change your mail password" in out


def test_cli_needs_an_owner(cases, cli):
    case = cases["spoofed-botnet-envelope-random"]
    proc = cli("diagnose", str(case.folder / "message.eml"), "--dns", str(case.folder / "dns.json"))
    assert proc.returncode == 2 and b"--me" in proc.stderr


def test_cli_bad_relay_and_unreadable_file(cases, cli, tmp_path):
    case = cases["spoofed-botnet-envelope-random"]
    proc = cli("diagnose", str(case.folder / "message.eml"), "--domain", "example.com", "--trusted-relay", "a b",
               "--dns", str(case.folder / "dns.json"))
    assert proc.returncode == 2 and b"trusted-relay" in proc.stderr
    proc = cli("diagnose", str(tmp_path / "missing.eml"), "--domain", "example.com")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1


def test_allowlist_trap_is_mentioned(cases, cli, tmp_path):
    case = cases["spoofed-botnet-envelope-random"]
    allow = tmp_path / "local.cf"
    allow.write_text("whitelist_from *@example.com\n")
    proc = cli("diagnose", *_case_args(case), "--allowlist", str(allow), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert any("Allowlist trap" in a for a in data["advice"])
    assert any(e["check"] == "allowlist" for e in data["evidence"])


def test_p_none_advice_gives_the_record_to_move_to(cases):
    case = cases["spoofed-botnet-envelope-random"]
    dns = {**case.dns, "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none; rua=mailto:d@example.com"]}}
    result = run(case.raw, dns, now=case.now)
    assert result.verdict == "spoofed"
    advice = " ".join(result.advice)
    assert "NOT to block" in advice
    assert '_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"' in advice


def test_authentic_third_party_is_named():
    result = run(THIRD_PARTY, THIRD_PARTY_DNS, domains=["example.com"], trusted_authserv_ids=["mx.mailhost.example"])
    assert result.verdict == "authentic"
    assert result.sending_path == "authorized-third-party"
    assert "SendGrid" in (result.third_party or "")
    assert any("SendGrid" in a for a in result.advice)
    assert not any("two-factor" in a for a in result.advice)


def test_rotated_dkim_key_is_explained_and_provider_result_stands(cases):
    case = cases["authentic-webmail-compromised"]
    dns = {k: v for k, v in case.dns.items() if not k.startswith("mh2026._domainkey")}
    result = run(case.raw, dns, now=case.now)
    assert result.verdict == "authentic"
    assert [e.result for e in result.evidence if e.check == "dkim"] == ["permerror"]
    assert any(d.method == "dkim" and "rotated" in d.explanation for d in result.disagreements)


def test_me_address_is_the_owner(cases):
    case = cases["spoofed-botnet-envelope-random"]
    result = run(case.raw, case.dns, now=case.now, domains=[], me=["alice@example.com"])
    assert result.verdict == "spoofed"
