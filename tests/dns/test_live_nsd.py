"""The live resolver against a real NSD on loopback: same answers as the snapshot,
distinct outcomes, timeouts and deadlines that hold, and record -> replay."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from mailwarden.dns.base import MX, Rcode
from mailwarden.dns.live import LiveResolver, parse_nameserver
from mailwarden.dns.recording import RecordingResolver
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.errors import DNSConfigError

pytestmark = pytest.mark.nsd

LONG = "p=" + "A" * 300
ZONES = {
    "live.test": "\n".join(
        [
            '@ TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            'sel._domainkey TXT "v=DKIM1; k=rsa; " "' + LONG[:200] + '" "' + LONG[200:] + '"',
            "@ MX 10 mx1.live.test.",
            "@ MX 20 mx2.live.test.",
            "@ A 192.0.2.10",
            "@ AAAA 2001:db8::10",
            "mx1 A 192.0.2.11",
            "www CNAME live.test.",
            "nullmx MX 0 .",
            "onlya A 192.0.2.12",
        ]
    ),
    "2.0.192.in-addr.arpa": "10 PTR mx1.live.test.",
}

EXPECTED_SNAPSHOT = {
    "live.test": {
        "TXT": ["v=spf1 ip4:192.0.2.0/24 -all"],
        "MX": ["10 mx1.live.test", "20 mx2.live.test"],
        "A": ["192.0.2.10"],
        "AAAA": ["2001:db8::10"],
    },
    "sel._domainkey.live.test": {"TXT": [["v=DKIM1; k=rsa; ", LONG[:200], LONG[200:]]]},
    "mx1.live.test": {"A": ["192.0.2.11"]},
    "www.live.test": {"CNAME": ["live.test"]},
    "nullmx.live.test": {"MX": ["0 ."]},
    "onlya.live.test": {"A": ["192.0.2.12"]},
    "10.2.0.192.in-addr.arpa": {"PTR": ["mx1.live.test"]},
}

QUESTIONS = [
    ("live.test", "TXT"),
    ("sel._domainkey.live.test", "TXT"),
    ("live.test", "MX"),
    ("live.test", "A"),
    ("live.test", "AAAA"),
    ("10.2.0.192.in-addr.arpa", "PTR"),
    ("www.live.test", "TXT"),
    ("www.live.test", "CNAME"),
    ("nullmx.live.test", "MX"),
    ("missing.live.test", "TXT"),  # NXDOMAIN
    ("onlya.live.test", "TXT"),  # NODATA
]


@pytest.fixture(scope="module")
def nsd(nsd_factory):
    return nsd_factory(ZONES)


def ask_all(resolver, questions=QUESTIONS):
    async def run():
        try:
            return [await resolver.query(n, t) for n, t in questions]
        finally:
            await resolver.aclose()

    return asyncio.run(run())


def comparable(answer):
    records = tuple(sorted(map(str, answer.records)))
    return (answer.name, answer.rdtype, answer.rcode, records, answer.cname_chain)


def test_live_answers_equal_snapshot_answers(nsd):
    live = ask_all(LiveResolver(nsd.address, timeout=2))
    snap = ask_all(SnapshotResolver.from_dict(EXPECTED_SNAPSHOT))
    assert [comparable(a) for a in live] == [comparable(a) for a in snap]


def test_live_outcomes(nsd):
    answers = dict(zip(QUESTIONS, ask_all(LiveResolver(nsd.address, timeout=2)), strict=True))
    assert answers[("live.test", "MX")].mx() == (MX(10, "mx1.live.test"), MX(20, "mx2.live.test"))
    assert answers[("sel._domainkey.live.test", "TXT")].records[0] == ("v=DKIM1; k=rsa; ", LONG[:200], LONG[200:])
    assert answers[("missing.live.test", "TXT")].rcode is Rcode.NXDOMAIN
    nodata = answers[("onlya.live.test", "TXT")]
    assert nodata.rcode is Rcode.NOERROR and nodata.nodata
    assert answers[("www.live.test", "TXT")].cname_chain == (("www.live.test", "live.test"),)
    assert answers[("nullmx.live.test", "MX")].mx() == (MX(0, ""),)
    assert answers[("live.test", "TXT")].ttl == 300


def test_cache_answers_repeated_and_concurrent_questions_once(nsd):
    resolver = LiveResolver(nsd.address, timeout=2)

    async def run():
        first = await asyncio.gather(*[resolver.query("live.test", "TXT") for _ in range(20)])
        again = await resolver.query("LIVE.test.", "TXT")
        return first, again

    first, again = asyncio.run(run())
    assert resolver.queries_sent == 1
    assert all(a == again for a in first)


def test_cache_respects_ttl(nsd):
    now = [1000.0]
    resolver = LiveResolver(nsd.address, timeout=2, deadline=None, clock=lambda: now[0])

    async def run():
        await resolver.query("live.test", "A")
        now[0] += 299
        await resolver.query("live.test", "A")
        now[0] += 2
        await resolver.query("live.test", "A")

    asyncio.run(run())
    assert resolver.queries_sent == 2


@pytest.fixture
def silent_port():
    """A UDP port on 127.0.0.1 that receives and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_timeout_holds_against_a_silent_server(silent_port):
    resolver = LiveResolver(f"127.0.0.1:{silent_port}", timeout=0.3)
    start = time.monotonic()
    answer = ask_all(resolver, [("live.test", "TXT")])[0]
    assert answer.rcode is Rcode.TIMEOUT
    assert time.monotonic() - start < 2.0


def test_overall_deadline_bounds_many_questions(silent_port):
    resolver = LiveResolver(f"127.0.0.1:{silent_port}", timeout=0.3, deadline=0.8)
    start = time.monotonic()
    answers = ask_all(resolver, [(f"n{i}.live.test", "A") for i in range(20)])
    assert time.monotonic() - start < 2.5
    assert all(a.rcode is Rcode.TIMEOUT for a in answers)
    assert resolver.queries_sent < 20  # questions after the deadline are not even sent


def test_record_then_replay_is_identical(nsd, tmp_path):
    path = tmp_path / "rec.json"
    recorded = ask_all(RecordingResolver(LiveResolver(nsd.address, timeout=2), path))
    snapshot = json.loads(path.read_text())
    # Only the answers used are written; NODATA keeps the name with no type, NXDOMAIN leaves it out.
    expected = {k: v for k, v in EXPECTED_SNAPSHOT.items() if k != "mx1.live.test"}
    expected["onlya.live.test"] = {}
    assert snapshot == expected
    replayed = ask_all(SnapshotResolver.from_file(path))
    assert [comparable(a) for a in recorded] == [comparable(a) for a in replayed]


def test_recording_keeps_failures(silent_port, tmp_path):
    path = tmp_path / "rec.json"
    ask_all(RecordingResolver(LiveResolver(f"127.0.0.1:{silent_port}", timeout=0.2), path), [("x.test", "TXT")])
    assert json.loads(path.read_text()) == {"x.test": {"TXT": "TIMEOUT"}}
    replay = ask_all(SnapshotResolver.from_file(path), [("x.test", "TXT")])[0]
    assert replay.rcode is Rcode.TIMEOUT


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)), ("[::1]:53", ("::1", 53)),
     ("::1", ("::1", 53))],
)
def test_parse_nameserver(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["ns.example.com", "127.0.0.1:x", "127.0.0.1:70000", "[::1"])
def test_parse_nameserver_rejects(text):
    with pytest.raises(DNSConfigError):
        parse_nameserver(text)


def test_cli_record_then_replay(nsd, tmp_path, cli):
    path = tmp_path / "rec.json"
    live = cli("dns", "query", "sel._domainkey.live.test", "TXT", "--nameserver", nsd.address,
               "--dns-record", str(path), "--json")
    assert live.returncode == 0, live.stderr
    replay = cli("dns", "query", "sel._domainkey.live.test", "TXT", "--dns", str(path), "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(live.stdout) == json.loads(replay.stdout)
    assert json.loads(live.stdout)["records"][0][0] == "v=DKIM1; k=rsa; "
