"""Live `diagnose` with a resolver that does not answer (issue 15 point 9, SPEC section 3).

It gives up within the overall DNS deadline (30 s) and says so: exit 3 with one
line naming what did not answer when nothing could be concluded, or - when the
provider's own results decide - an evidence line saying nothing was re-checked.
"""

from __future__ import annotations

import json
import time

from tests.support.nsd import free_port

OWNER = ["--domain", "example.com", "--trusted-authserv-id", "mx.mailhost.example"]
DEADLINE = 30


def test_nothing_answered_and_nothing_recorded_is_exit_3(cli, cases):
    case = cases["inconclusive-dns-servfail-no-authres"]
    started = time.monotonic()
    proc = cli("diagnose", str(case.folder / "message.eml"), *OWNER, "--nameserver", f"127.0.0.1:{free_port()}",
               "--dns-timeout", "2", timeout=DEADLINE + 30)
    assert time.monotonic() - started < DEADLINE + 5
    assert proc.returncode == 3 and proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "answered none of the" in lines[0] and "example.com TXT" in lines[0]


def test_provider_results_still_answer_and_the_output_says_dns_was_down(cli, cases):
    case = cases["spoofed-botnet-envelope-random"]
    proc = cli("diagnose", str(case.folder / "message.eml"), *OWNER, "--nameserver", f"127.0.0.1:{free_port()}",
               "--dns-timeout", "0.5", "--json", timeout=DEADLINE + 30)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "spoofed"
    assert any(e["check"] == "dns" and e["result"] == "unreachable" for e in out["evidence"])
