"""``mailwarden arc verify|seal`` as a user runs them (SPEC section 5)."""

from __future__ import annotations

import json

from tests.dkim.conftest import MESSAGE, pem, rsa_record


def test_seal_then_verify(cli, tmp_path, rsa_key):
    (tmp_path / "k.pem").write_bytes(pem(rsa_key))
    (tmp_path / "dns.json").write_text(json.dumps({"s1._domainkey.list.example": {"TXT": [rsa_record(rsa_key)]}}))
    raw = b"Authentication-Results: mx.list.example; spf=pass smtp.mailfrom=a@example.com\r\n" + MESSAGE
    (tmp_path / "m.eml").write_bytes(raw)
    sealed = cli("arc", "seal", str(tmp_path / "m.eml"), "--domain", "list.example", "--selector", "s1",
                 "--key", str(tmp_path / "k.pem"), "--authserv-id", "mx.list.example",
                 "--dns", str(tmp_path / "dns.json"))
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith(b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.example; s=s1;")
    assert sealed.stdout.endswith(raw)
    out = cli("arc", "verify", "-", "--dns", str(tmp_path / "dns.json"), "--json", input=sealed.stdout)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert (obj["cv"], obj["instances"], obj["failed_instance"], obj["reason"]) == ("pass", 1, None, None)
    # second hop: no arc= result in its A-R, so the CLI validates the chain itself (cv=pass)
    hop2 = b"Authentication-Results: mx.list.example; dkim=pass\r\n" + sealed.stdout
    again = cli("arc", "seal", "-", "-d", "list.example", "-s", "s1", "--key", str(tmp_path / "k.pem"),
                "--authserv-id", "mx.list.example", "--dns", str(tmp_path / "dns.json"), input=hop2)
    assert again.returncode == 0 and b"i=2; a=rsa-sha256; cv=pass" in again.stdout
    human = cli("arc", "verify", "-", "--dns", str(tmp_path / "dns.json"),
                input=again.stdout.replace(b"Hello Bob", b"Hello Eve"))
    assert human.returncode == 0 and b"ARC chain: FAIL" in human.stdout


def test_empty_and_unreadable_input(cli, tmp_path):
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "dns.json").write_text("{}")
    out = cli("arc", "verify", str(tmp_path / "empty.eml"), "--dns", str(tmp_path / "dns.json"), "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["cv"] == "none"
    out = cli("arc", "verify", str(tmp_path / "nope.eml"), "--dns", str(tmp_path / "dns.json"))
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    out = cli("arc", "seal", "-", "-d", "x.example", "-s", "s", "--key", str(tmp_path / "dns.json"),
              "--authserv-id", "x", "--dns", str(tmp_path / "dns.json"), input=MESSAGE)
    assert out.returncode == 2


def test_message_with_an_empty_header_section_is_cv_none_not_an_input_error(cli, tmp_path):
    """ARC suite cv_no_headers: the blank line that ends an empty header section comes first (RFC 5322 2.1)."""
    (tmp_path / "dns.json").write_text("{}")
    out = cli("arc", "verify", "-", "--dns", str(tmp_path / "dns.json"), "--json",
              input=b"\r\nHey gang,\r\nThis is a test message.\r\n")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["cv"] == "none"
    # plain text that does not start with a blank line is still refused as not a message
    out = cli("arc", "verify", "-", "--dns", str(tmp_path / "dns.json"), input=b"Hey gang,\r\nhello\r\n")
    assert out.returncode == 2 and b"does not look like an e-mail message" in out.stderr
