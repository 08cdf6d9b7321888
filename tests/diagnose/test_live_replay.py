"""A support case end to end over real DNS: diagnose against NSD on loopback with
--dns-record, then replay the recording with --dns; the verdict and the JSON are
identical, and equal to the diagnosis from the original snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.zones import snapshot_to_zones

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "examples" / "spoofed-from-self"
BUNDLED_ARGS = ["--me", "dana@fabrikam.example", "--trusted-authserv-id", "mx1.inbound.fabrikam.example"]


def _diagnose(cli, message: Path, args: list[str], *dns_args: str) -> dict:
    result = cli("diagnose", str(message), *args, *dns_args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _replay_case(cli, nsd_factory, tmp_path, folder: Path, args: list[str]) -> None:
    snapshot = json.loads((folder / "dns.json").read_text())
    server = nsd_factory(snapshot_to_zones(snapshot))
    recording = tmp_path / "recorded.json"
    live = _diagnose(cli, folder / "message.eml", args, "--nameserver", server.address, "--dns-record", str(recording))
    replay = _diagnose(cli, folder / "message.eml", args, "--dns", str(recording))
    original = _diagnose(cli, folder / "message.eml", args, "--dns", str(folder / "dns.json"))
    assert live == replay
    assert live["verdict"] == original["verdict"]
    assert live["evidence"] == original["evidence"]
    assert json.loads(recording.read_text())  # something was recorded


@pytest.mark.nsd
def test_bundled_example_live_then_replayed(cli, nsd_factory, tmp_path):
    _replay_case(cli, nsd_factory, tmp_path, BUNDLED, BUNDLED_ARGS)


@pytest.mark.nsd
@pytest.mark.parametrize("case", ["authentic-webmail-compromised", "forwarded-alumni-alias-srs-arc",
                                  "backscatter-dsn-userunknown"])
def test_shared_example_live_then_replayed(cli, nsd_factory, tmp_path, shared, case):
    folder = shared / "examples" / "diagnose" / case
    args = [str(a) for a in json.loads((folder / "case.json").read_text())["args"]]
    _replay_case(cli, nsd_factory, tmp_path, folder, args)
