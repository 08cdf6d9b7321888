"""The generated data: deterministic, shaped as the issue asks, and self-consistent."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from bench.corpus.build import build
from bench.corpus.signer import relaxed_body, relaxed_header
from bench.harness import load_messages, load_queries
from bench.refdns import MemoryDNS

from tests.bench.conftest import TINY


def test_generation_is_deterministic(tiny_data: Path, tmp_path: Path) -> None:
    again = build(TINY, tmp_path / "again")
    for name in ("messages.bin", "manifest.json", "dns.json", "spf_queries.json"):
        assert (again / name).read_bytes() == (tiny_data / name).read_bytes(), name


def test_messages_have_the_requested_shape(tiny_data: Path) -> None:
    messages, entries = load_messages(tiny_data)
    assert len(messages) == TINY.messages
    assert {e["algorithm"] for e in entries} == {"rsa-sha256", "ed25519-sha256"}
    assert {e["dkim"] for e in entries} == {"pass", "fail"}
    for raw, entry in zip(messages, entries, strict=True):
        head, _, _body = raw.partition(b"\r\n\r\n")
        fields = [line for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
        assert 15 <= len(fields) <= 25
        assert sum(f.lower().startswith(b"dkim-signature:") for f in fields) == 1
        assert b"c=relaxed/relaxed" in raw
        if entry["large"]:
            assert 90_000 < len(raw) < 120_000
        else:
            assert 3_500 < len(raw) < 7_000


def test_relaxed_canonicalization_examples() -> None:
    # RFC 6376 section 3.4.5 example
    assert relaxed_header(b"A: X\r\n") == b"a:X\r\n"
    assert relaxed_header(b"B : Y\t\r\n\tZ  \r\n") == b"b:Y Z\r\n"
    assert relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n") == b" C\r\nD E\r\n"
    assert relaxed_body(b"") == b""


def _networks(dns: MemoryDNS, domain: str, depth: int = 0) -> list[ipaddress._BaseNetwork]:
    """Every network a policy authorizes, by a walk independent of every SPF engine."""
    assert depth < 10
    record = next(t for t in dns.txt(domain) if t.startswith("v=spf1"))
    nets: list[ipaddress._BaseNetwork] = []
    for term in record.split()[1:]:
        if term.startswith(("ip4:", "ip6:")):
            nets.append(ipaddress.ip_network(term[4:]))
        elif term.startswith("include:"):
            nets += _networks(dns, term[8:], depth + 1)
        elif term == "mx":
            for mx in dns.zone[domain]["MX"]:
                host = mx.split()[1]
                nets += [ipaddress.ip_network(a) for a in dns.zone[host]["A"]]
    return nets


def test_spf_queries_expectations_follow_from_the_policies(tiny_data: Path) -> None:
    dns = MemoryDNS.from_file(tiny_data / "dns.json")
    queries = load_queries(tiny_data)
    assert len(queries) == TINY.queries
    assert {q["expected"] for q in queries} == {"pass", "softfail"}
    for q in queries:
        ip = ipaddress.ip_address(q["ip"])
        domain = q["mail_from"].rpartition("@")[2]
        inside = any(ip.version == n.version and ip in n for n in _networks(dns, domain))
        assert ("pass" if inside else "softfail") == q["expected"], q


def test_dns_lookup_count_stays_within_the_limit(tiny_data: Path) -> None:
    zone = json.loads((tiny_data / "dns.json").read_text())
    record = next(r for r in zone["acme00.example"]["TXT"] if r.startswith("v=spf1"))
    includes = [t for t in record.split() if t.startswith("include:")]
    nested = sum(
        sum(t.startswith("include:") for t in next(iter(zone[i[8:]]["TXT"])).split()) for i in includes)
    assert len(includes) == 3 and "mx" in record.split()
    assert 1 + len(includes) + nested <= 10  # RFC 7208 section 4.6.4
