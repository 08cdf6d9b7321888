"""The ValiMail ARC test suite (validation and signing) as pytest cases, built the way
../shared/tools/conformance.py builds the validation cases."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from mailwarden.arc import seal, verify_chain
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message.model import Message, parse_message
from mailwarden.message.taglist import parse_tag_list, strip_fws
from tests.conftest import corpora_root

SUITE = corpora_root() / "arc-test-suite"


def load(name: str) -> list[tuple[str, dict, dict]]:
    path = SUITE / name
    if not path.exists():
        return []
    with path.open("rb") as fh:
        return [(f"{sc['description']}/{tid}", t, sc)
                for sc in yaml.safe_load_all(fh) for tid, t in sc["tests"].items()]


def txt(text: str):
    return text if len(text) <= 255 else [text[i : i + 255] for i in range(0, len(text), 255)]


VALIDATION = load("arc-draft-validation-tests.yml")
SIGNING = load("arc-draft-sign-tests.yml")


def test_suite_present(corpora):
    assert len(VALIDATION) == 171 and len(SIGNING) == 17


@pytest.mark.parametrize(("name", "test", "scenario"), VALIDATION, ids=[v[0] for v in VALIDATION])
def test_validation(corpora, name, test, scenario):
    resolver = SnapshotResolver.from_dict({n: {"TXT": [txt(str(t))]} for n, t in scenario["txt-records"].items()})
    raw = test["message"].encode()
    message = parse_message(raw) if raw.strip() else Message((), None)
    result = asyncio.run(verify_chain(resolver, message))
    want = str(test.get("cv") or "fail").lower()
    assert result.cv == want, result.reason
    if want == "fail":
        assert result.reason


def normalized_tags(value: str) -> dict[str, str]:
    return {k: strip_fws(v) if k in ("b", "bh") else " ".join(v.split()) for k, v in parse_tag_list(value).items}


@pytest.mark.parametrize(("name", "test", "scenario"), SIGNING, ids=[s[0] for s in SIGNING])
def test_signing_exact(corpora, name, test, scenario):
    """RSASSA-PKCS1-v1_5 is deterministic: AS, AMS and AAR must equal the suite's, byte for byte
    after unfolding (the suite's standard tag format)."""
    message = parse_message(test["message"].encode())
    fields = seal(message, scenario["domain"], scenario["sel"], scenario["privatekey"].encode(), test["srv-id"],
                  headers=test["sig-headers"].split(":"), now=test["t"], standard_format=True)
    if not str(test["AS"]).strip():  # the suite expects no new set (the chain already failed)
        assert fields is None
        return
    assert fields is not None

    def value(raw: bytes) -> str:
        return raw.decode().split(":", 1)[1]

    assert normalized_tags(value(fields.message_signature)) == normalized_tags(test["AMS"])
    assert normalized_tags(value(fields.seal)) == normalized_tags(test["AS"])
    assert " ".join(value(fields.authentication_results).split()) == " ".join(test["AAR"].split())
    # and the sealed message validates
    resolver = SnapshotResolver.from_dict({n: {"TXT": [txt(str(t))]} for n, t in scenario["txt-records"].items()})
    sealed = parse_message(fields.as_bytes() + message.as_bytes())
    result = asyncio.run(verify_chain(resolver, sealed))
    assert result.cv == ("pass" if fields.cv != "fail" else "fail"), result.reason
