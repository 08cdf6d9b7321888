"""BATV prvs= signing and verification (draft-levine-smtp-batv section 4)."""

from __future__ import annotations

import json
import re

import pytest

from mailwarden.bounces.batv import load_key, sign, strip_tag, verify
from mailwarden.errors import InputError, KeyFileError

KEY = b"correct horse battery staple"
NOW = 1_700_000_000.0  # 2023-11-14
DAY = 86400


def test_sign_shape_and_roundtrip():
    signed = sign("User.Name@Example.COM", KEY, NOW)
    assert re.fullmatch(r"prvs=0\d{3}[0-9a-f]{6}=User\.Name@Example\.COM", signed.address)
    assert signed.expiry_day == int(NOW // DAY) + 7
    result = verify(signed.address, KEY, NOW + 3 * DAY)
    assert result.result == "valid" and result.ok
    assert result.original == "User.Name@Example.COM"


def test_expiry_is_day_granular():
    signed = sign("a@example.com", KEY, NOW, valid_days=2)
    end_of_last_day = (int(NOW // DAY) + 3) * DAY - 1
    assert verify(signed.address, KEY, end_of_last_day, valid_days=2).result == "valid"
    assert verify(signed.address, KEY, end_of_last_day + 2, valid_days=2).result == "expired"
    assert verify(signed.address, KEY, NOW + 400 * DAY).result == "expired"


def test_forged_and_unsigned_and_malformed():
    signed = sign("a@example.com", KEY, NOW).address
    assert verify(signed, b"another key", NOW).result == "bad-signature"
    tampered = signed.replace("a@example.com", "b@example.com")
    assert verify(tampered, KEY, NOW).result == "bad-signature"
    assert verify("a@example.com", KEY, NOW).result == "unsigned"
    assert verify("prvs=zz=a@example.com", KEY, NOW).result == "malformed"
    assert not verify("a@example.com", KEY, NOW).ok


def test_resigning_strips_old_tag():
    first = sign("a@example.com", KEY, NOW).address
    again = sign(first, KEY, NOW + DAY).address
    assert again.count("prvs=") == 1 and strip_tag(again) == "a@example.com"


def test_bad_address_is_input_error():
    with pytest.raises(InputError):
        sign("no-at-sign", KEY, NOW)


def test_key_file_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"  \n")
    with pytest.raises(KeyFileError, match="empty"):
        load_key(str(empty))
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key(str(tmp_path / "missing"))
    good = tmp_path / "key"
    good.write_bytes(b"secret\n")
    assert load_key(str(good)) == b"secret"


def test_cli_sign_verify(cli, tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"secret")
    proc = cli("batv", "sign", "owner@example.org", "--key-file", str(key), "--now", str(NOW), "--json")
    assert proc.returncode == 0, proc.stderr
    signed = json.loads(proc.stdout)["address"]
    proc = cli("batv", "verify", signed, "--key-file", str(key), "--now", str(NOW + DAY), "--json")
    out = json.loads(proc.stdout)
    assert out["result"] == "valid" and out["bounce_verdict"] == "genuine"
    proc = cli("batv", "verify", signed, "--key-file", str(key), "--now", str(NOW + 30 * DAY), "--json")
    assert json.loads(proc.stdout)["bounce_verdict"] == "backscatter"
    proc = cli("batv", "verify", signed, "--key-file", str(tmp_path / "nope"))
    assert proc.returncode == 2 and b"cannot read" in proc.stderr and b"Traceback" not in proc.stderr
