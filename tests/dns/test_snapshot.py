"""SnapshotResolver honours every rule of SPEC section 4."""

from __future__ import annotations

import asyncio
import json

import pytest

from mailwarden.dns.base import MX, Rcode
from mailwarden.dns.snapshot import SnapshotResolver, load_snapshot_file
from mailwarden.errors import DNSConfigError

SNAP = {
    "Example.COM.": {
        "TXT": ["v=spf1 ip4:192.0.2.0/24 -all", ["v=DKIM1; k=rsa; p=MIIB", "IjANBgkq"]],
        "MX": ["10 mx1.example.com", "20 MX2.Example.com."],
        "A": ["192.0.2.10"],
        "AAAA": ["2001:db8::10"],
    },
    "_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject"]},
    "10.2.0.192.in-addr.arpa": {"PTR": ["mx1.example.com."]},
    "slow.example.net": {"TXT": "TIMEOUT", "A": "SERVFAIL"},
    "alias.example.org": {"CNAME": ["example.com"]},
    "loop1.example": {"CNAME": ["loop2.example"]},
    "loop2.example": {"CNAME": ["loop1.example"]},
    "nullmx.example": {"MX": ["0 ."]},
    "empty.example": {},
}


def q(resolver: SnapshotResolver, name: str, rdtype: str):
    return asyncio.run(resolver.query(name, rdtype))


@pytest.fixture
def resolver() -> SnapshotResolver:
    return SnapshotResolver.from_dict(SNAP)


@pytest.mark.parametrize("name", ["example.com", "EXAMPLE.com", "example.com.", "Example.Com."])
def test_names_are_case_insensitive_with_optional_trailing_dot(resolver, name):
    answer = q(resolver, name, "A")
    assert answer.rcode is Rcode.NOERROR
    assert answer.records == ("192.0.2.10",)


def test_absent_name_is_nxdomain(resolver):
    answer = q(resolver, "nope.example.com", "TXT")
    assert answer.rcode is Rcode.NXDOMAIN and answer.nxdomain and answer.void and not answer.failed


def test_present_name_without_type_is_nodata(resolver):
    answer = q(resolver, "_dmarc.example.com", "A")
    assert answer.rcode is Rcode.NOERROR and answer.nodata and answer.void
    assert q(resolver, "empty.example", "TXT").nodata


def test_txt_string_and_multi_string_record(resolver):
    answer = q(resolver, "example.com", "TXT")
    assert answer.records == (("v=spf1 ip4:192.0.2.0/24 -all",), ("v=DKIM1; k=rsa; p=MIIB", "IjANBgkq"))
    assert answer.texts() == ("v=spf1 ip4:192.0.2.0/24 -all", "v=DKIM1; k=rsa; p=MIIBIjANBgkq")


@pytest.mark.parametrize(("rdtype", "rcode"), [("TXT", Rcode.TIMEOUT), ("A", Rcode.SERVFAIL)])
def test_timeout_and_servfail_markers(resolver, rdtype, rcode):
    answer = q(resolver, "slow.example.net", rdtype)
    assert answer.rcode is rcode and answer.failed and not answer.void


def test_mx_values(resolver):
    assert q(resolver, "example.com", "MX").mx() == (MX(10, "mx1.example.com"), MX(20, "mx2.example.com"))
    assert q(resolver, "nullmx.example", "MX").mx() == (MX(0, ""),)


def test_cname_is_followed_for_other_types(resolver):
    answer = q(resolver, "alias.example.org", "TXT")
    assert answer.texts()[0].startswith("v=spf1")
    assert answer.cname_chain == (("alias.example.org", "example.com"),)
    assert q(resolver, "alias.example.org", "CNAME").records == ("example.com",)


def test_cname_loop_is_servfail_not_a_hang(resolver):
    assert q(resolver, "loop1.example", "A").rcode is Rcode.SERVFAIL


def test_ptr(resolver):
    assert q(resolver, "10.2.0.192.in-addr.arpa", "PTR").records == ("mx1.example.com",)


def test_invalid_query_names_are_nxdomain(resolver):
    assert q(resolver, "a" * 64 + ".example.com", "A").nxdomain
    assert q(resolver, "x." * 130 + "com", "A").nxdomain
    assert q(resolver, "bad..example.com", "A").nxdomain


def test_queries_are_counted(resolver):
    q(resolver, "example.com", "A")
    q(resolver, "example.com", "MX")
    assert resolver.queries == [("example.com", "A"), ("example.com", "MX")]


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"x.example": ["v=spf1"]},
        {"x.example": {"TXT": "SOMETIMES"}},
        {"x.example": {"TXT": [1, 2]}},
        {"x.example": {"MX": ["mx.example"]}},
        {"x.example": {"A": [{"x": 1}]}},
    ],
)
def test_invalid_snapshots_are_clear_errors(data):
    with pytest.raises(DNSConfigError):
        SnapshotResolver.from_dict(data)


def test_unreadable_and_invalid_json_files(tmp_path):
    with pytest.raises(DNSConfigError, match="cannot read"):
        load_snapshot_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DNSConfigError, match="not valid JSON"):
        load_snapshot_file(bad)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DNSConfigError):
        load_snapshot_file(deep)


def test_file_round_trip(tmp_path):
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(SNAP))
    resolver = SnapshotResolver.from_file(path)
    assert q(resolver, "example.com", "TXT").texts()[1] == "v=DKIM1; k=rsa; p=MIIBIjANBgkq"


def test_repeated_questions_are_answered_alike_and_still_logged(resolver):
    first = q(resolver, "Example.COM.", "TXT")
    again = q(resolver, "Example.COM.", "TXT")
    other_spelling = q(resolver, "example.com", "TXT")
    assert first == again == other_spelling
    assert resolver.queries == [("example.com", "TXT")] * 3
