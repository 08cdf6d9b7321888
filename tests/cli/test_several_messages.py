"""Several messages in one file (SPEC section 3, issue 15 point 5): one result per message, in file order.

With --json the output is JSON Lines, each object carrying "index" (0-based);
a single message keeps the single-object output.
"""

from __future__ import annotations

import json

import pytest

EXAMPLES = ("spoofed-botnet-envelope-random", "lookalike-one-letter-domain", "backscatter-dsn-userunknown")
OWNER = ["--domain", "example.com", "--trusted-authserv-id", "mx.mailhost.example", "--now", "1794856144"]


def _mbox(shared, names=EXAMPLES) -> bytes:
    root = shared / "examples" / "diagnose"
    parts = []
    for name in names:
        raw = (root / name / "message.eml").read_bytes().replace(b"\r\n", b"\n")
        body = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in raw.split(b"\n"))
        parts.append(b"From MAILER-DAEMON Mon Nov  9 21:42:07 2026\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(parts)


def _dns(shared, tmp_path) -> str:
    merged: dict = {}
    for name in EXAMPLES:
        merged.update(json.loads((shared / "examples" / "diagnose" / name / "dns.json").read_text()))
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(merged))
    return str(path)


def _lines(proc) -> list[dict]:
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_diagnose_mbox_gives_one_verdict_per_message(cli, shared, tmp_path):
    box = tmp_path / "spam.mbox"
    box.write_bytes(_mbox(shared))
    out = _lines(cli("diagnose", str(box), "--dns", _dns(shared, tmp_path), *OWNER, "--json"))
    assert [o["index"] for o in out] == [0, 1, 2]
    assert [o["verdict"] for o in out] == ["spoofed", "lookalike", "backscatter"]


def test_diagnose_mbox_on_standard_input_human(cli, shared, tmp_path):
    proc = cli("diagnose", "-", "--dns", _dns(shared, tmp_path), *OWNER, input=_mbox(shared))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert text.count("===== Message ") == 3 and "Message 3 of 3" in text
    assert text.index("FORGED") < text.index("LOOK-ALIKE") < text.index("BACKSCATTER")


@pytest.mark.parametrize("command", [["check"], ["bounce", "--me", "alice@example.com"]])
def test_check_and_bounce_read_every_message(cli, shared, tmp_path, command):
    box = tmp_path / "spam.mbox"
    box.write_bytes(_mbox(shared))
    out = _lines(cli(*command, str(box), "--dns", _dns(shared, tmp_path), "--json"))
    assert [o["index"] for o in out] == [0, 1, 2]
    if command[0] == "bounce":
        assert [o["is_bounce"] for o in out] == [False, False, True]
    else:
        assert [o["dmarc"]["from_domain"] for o in out] == ["example.com", "exanple.com", "mx-gw.riverside.example"]


def test_single_message_keeps_one_json_object(cli, shared, tmp_path):
    box = tmp_path / "one.mbox"
    box.write_bytes(_mbox(shared, EXAMPLES[:1]))
    proc = cli("diagnose", str(box), "--dns", _dns(shared, tmp_path), *OWNER, "--json")
    assert proc.returncode == 0
    obj = json.loads(proc.stdout)
    assert obj["verdict"] == "spoofed" and "index" not in obj


def test_digest_is_split_into_its_messages(cli, shared, tmp_path):
    root = shared / "examples" / "diagnose"
    first = (root / EXAMPLES[0] / "message.eml").read_bytes().replace(b"\r\n", b"\n")
    second = (root / EXAMPLES[1] / "message.eml").read_bytes().replace(b"\r\n", b"\n")
    digest = (b"From: list@lists.example\nTo: alice@example.com\nSubject: digest 12\nMIME-Version: 1.0\n"
              b"Content-Type: multipart/digest; boundary=\"dg\"\n\npreamble\n--dg\nContent-Type: text/plain\n\n"
              b"Today: 2 messages\n--dg\n\n" + first + b"\n--dg\nContent-Type: message/rfc822\n\n" + second
              + b"\n--dg--\n")
    msg = tmp_path / "digest.eml"
    msg.write_bytes(digest)
    out = _lines(cli("diagnose", str(msg), "--dns", _dns(shared, tmp_path), *OWNER, "--json"))
    assert [o["verdict"] for o in out] == ["spoofed", "lookalike"]


def test_body_line_starting_with_from_does_not_split(cli, tmp_path):
    raw = (b"From: a@example.org\nTo: alice@example.com\nSubject: hi\n\nHello,\n\nFrom what I hear, all is well.\n"
           b"Thanks\n")
    msg = tmp_path / "m.eml"
    msg.write_bytes(raw)
    proc = cli("bounce", str(msg), "--json")
    assert proc.returncode == 0 and "index" not in json.loads(proc.stdout)
