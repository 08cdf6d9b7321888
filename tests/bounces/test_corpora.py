"""The external bounce corpora (flufl.bounce and sisimai set-of-emails), scored in-process.

The scoring mirrors ../shared/tools/conformance.py (failed/delayed recipient
sets for flufl; kind, statuses and reasons for sisimai). The floors are the
rates reached when the tests were written: a regression fails.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest
from tests.conftest import require_path

from mailwarden.bounces import analyze_bounce
from mailwarden.message import parse_message


def _report(path):
    return analyze_bounce(parse_message(path.read_bytes())).to_json()


def _addresses(out, action):
    return {r["address"].strip("<> ").lower() for r in out["recipients"] if r["action"] == action}


@pytest.fixture(scope="module")
def flufl(corpora):
    folder = corpora / "bounces" / "flufl-bounce-6.0.0"
    derived = json.loads((folder / "EXPECTED.derived.json").read_text())
    perm, temp = defaultdict(set), defaultdict(set)
    for row in derived["detector_cases"]:
        (temp if row["is_temporary"] else perm)[row["file"]].update(a.lower() for a in row["addresses"])
    for scan in derived["scan_cases"]:
        if "permanent" in scan:
            perm[scan["file"]] = {a.lower() for a in scan["permanent"]}
            temp[scan["file"]] = {a.lower() for a in scan["temporary"]}
    return folder, perm, temp


def test_flufl_pass_rate(flufl):
    folder, perm, temp = flufl
    failures = []
    names = [n for n in sorted(set(perm) | set(temp)) if perm[n] or temp[n]]
    for name in names:
        out = _report(folder / name)
        if not out["is_bounce"] or _addresses(out, "failed") != perm[name] or _addresses(out, "delayed") != temp[name]:
            failures.append(name)
    assert len(failures) <= 3, failures


@pytest.mark.parametrize("name,failed", [
    ("postfix_01.txt", {"xxxxx@local.ie"}),
    ("qmail_01.txt", {"userx@example.de"}),
    ("yahoo_06.txt", {"userx@example.com", "usery@example.com", "userz@example.com", "usera@example.com"}),
    ("smtp32_04.txt", {"after_another@example.net", "one_bad_address@example.net"}),
    ("sendmail_01.txt", {"zzzzz@shaft.coal.nl", "zzzzz@nfg.nl"}),
    ("dsn_04.txt", {"userx@example.ch"}),  # Original-Recipient preferred over a local Final-Recipient
])
def test_flufl_named_cases(flufl, name, failed):
    folder, _, _ = flufl
    out = _report(folder / name)
    assert out["is_bounce"] and _addresses(out, "failed") == failed


def test_flufl_delay_warning(flufl):
    folder, _, _ = flufl
    out = _report(folder / "dsn_05.txt")
    assert _addresses(out, "delayed") == {"userx@example.cz"} and not _addresses(out, "failed")


SPECIAL = {"vacation": "autoreply", "feedback": "feedback-report", "delivered": "delivery-success"}


def _sisimai_ok(out, facts):
    reasons = {f["reason"] for f in facts}
    special = {SPECIAL[r] for r in reasons if r in SPECIAL}
    ok = out["kind"] in special if special else out["is_bounce"] and out["kind"] in ("dsn", "non-standard")
    import re

    statuses = [f["status"] for f in facts if re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", f["status"])
                and not re.fullmatch(r"[45]\.0\.9\d\d", f["status"])]
    got = Counter(r["status"] for r in out["recipients"])
    ok = ok and not (Counter(statuses) - got)
    reason_ok = None if special else out["reason"] in reasons
    return ok, reason_ok


def test_sisimai_pass_rate(corpora):
    folder = corpora / "bounces" / "sisimai-set-of-emails"
    derived = json.loads((folder / "EXPECTED.derived.json").read_text())
    passed = reason_passed = reason_total = 0
    failures = []
    for key, entry in sorted(derived["expected"].items()):
        path = folder / key
        if not path.is_file():
            continue
        ok, reason_ok = _sisimai_ok(_report(path), entry["facts"])
        passed += ok
        if not ok:
            failures.append(key)
        if reason_ok is not None:
            reason_total += 1
            reason_passed += reason_ok
    total = passed + len(failures)
    assert passed / total >= 0.97, failures
    assert reason_passed / reason_total >= 0.85


@pytest.mark.parametrize("variant", ["bsd", "dos", "mac"])
def test_sisimai_line_endings_agree(corpora, variant):
    folder = corpora / "bounces" / "sisimai-set-of-emails" / "maildir"
    path = folder / variant / "lhost-postfix-01.eml"
    require_path(path, "sisimai corpus file")
    out = _report(path)
    assert out["kind"] == "dsn" and out["recipients"][0]["status"] == "5.1.1"
    assert out["reason"] == "mailererror"  # Diagnostic-Code: x-unix; procmail: ... (a local delivery program)


def test_sisimai_not_bounces(corpora):
    folder = corpora / "bounces" / "sisimai-set-of-emails"
    for name in ("maildir/not/is-not-bounce-01.eml", "maildir/not/is-not-bounce-02.eml"):
        out = _report(folder / name)
        assert out["is_bounce"] is False and out["kind"] == "none", name


@pytest.mark.parametrize("name,kind,found", [
    # Amazon SES JSON notifications (an SNS envelope with a folded line; plain SES objects)
    ("lhost-amazonses-10.eml", "non-standard", [("bounce@simulator.amazonses.com", "failed", "5.1.1", "userunknown")]),
    ("lhost-amazonses-12.eml", "delivery-success",
     [("success@simulator.amazonses.com", "delivered", "2.6.0", "delivered")]),
    ("lhost-amazonses-13.eml", "delivery-success",
     [("complaint@simulator.amazonses.com", "delivered", "2.6.0", "delivered")]),
    # Apache James: "Error message below:" / "Message details:" (and a multipart with a lost boundary)
    ("lhost-apachejames-01.eml", "non-standard", [("000000000000@vtext.example.com", "failed", "5.0.0", "userunknown")]),
    # fml list error mails: a non-member post refused, a looping post not distributed
    ("lhost-fml-02.eml", "non-standard", [("neko-nyaan@example.org", "failed", None, "rejected")]),
    ("lhost-fml-03.eml", "non-standard", [("neko@example.co.jp", "failed", None, "systemerror")]),
])
def test_sisimai_structured_layouts(corpora, name, kind, found):
    path = corpora / "bounces" / "sisimai-set-of-emails" / "maildir" / "bsd" / name
    require_path(path, "sisimai corpus file")
    out = _report(path)
    assert out["kind"] == kind
    assert [(r["address"], r["action"], r["status"], r["reason"]) for r in out["recipients"]] == found
