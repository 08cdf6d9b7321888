"""The per-message service on real messages and a DNS snapshot (no MTA): evaluate(), own_claims(), _fold()."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden.bounces.batv import sign
from mailwarden.filter.config import load_config
from mailwarden.filter.decision import Transaction
from mailwarden.filter.service import _fold, build_state, evaluate, own_claims
from tests.filter import mail

TO = "dana@home.test"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    base = tmp_path_factory.mktemp("filter")
    (base / "dns.json").write_text(json.dumps(mail.snapshot()))
    (base / "batv.key").write_bytes(mail.BATV_KEY)
    (base / "allow.txt").write_text("boss@partner.test\nceo@home.test\n")
    (base / "f.toml").write_text(
        f'authserv_id = "mx.home.test"\nlocal_domains = ["home.test"]\n'
        f'[dmarc]\ntrusted_arc_sealers = ["list.test"]\n'
        f'[backscatter]\nbatv_key_file = "{base / "batv.key"}"\n'
        f'[allowlist]\nfiles = ["{base / "allow.txt"}"]\n[dns]\nsnapshot = "{base / "dns.json"}"\n')
    return build_state(load_config(str(base / "f.toml")))


def headers_of(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    out: list[tuple[str, str]] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t"):
            out[-1] = (out[-1][0], out[-1][1] + "\r\n" + line)
        else:
            name, _, value = line.partition(":")
            out.append((name, value))
    return out


def run(state, raw: bytes, ip: str, mail_from: str, rcpt: str = TO, **kw):
    tx = Transaction(ip, "client.test", mail_from, (rcpt,), kw.pop("auth", None))
    return asyncio.run(evaluate(state, raw, headers_of(raw), tx, **kw))


def test_self_spoof(state):
    out = run(state, mail.plain("ceo@home.test", TO, "s1"), mail.FORGER_IP, "ceo@home.test")
    assert (out.decision.action, out.decision.guard) == ("reject", "self-spoof")
    assert out.seconds > 0


def test_genuine_message_is_stamped_and_forged_claims_removed(state):
    forged = "Authentication-Results: mx.home.test; dmarc=pass\r\nAuthentication-Results: other.example; x=y\r\n" \
             "Authentication-Results: MX.Home.Test.; spf=pass\r\n"
    raw = mail.signed("alice@partner.test", TO, "g1", extra=forged)
    out = run(state, raw, mail.PARTNER_IP, "alice@partner.test")
    assert out.decision.action == "accept"
    removed = [(e.name, e.index) for e in out.edits if e.value is None]
    assert removed == [("Authentication-Results", 1), ("Authentication-Results", 3)]
    added = [e for e in out.edits if e.value is not None]
    assert len(added) == 1 and added[0].name == "Authentication-Results"
    assert added[0].value.startswith("mx.home.test;\n\tspf=pass")
    assert "dkim=pass" in added[0].value and "dmarc=pass" in added[0].value


def test_p_reject_forgery(state):
    out = run(state, mail.plain("alice@partner.test", TO, "r1"), mail.FORGER_IP, "x@evil.example")
    assert (out.decision.action, out.decision.guard, out.decision.smtp_code) == ("reject", "dmarc", "550")


def test_p_quarantine_forgery_is_quarantined_with_a_header(state):
    out = run(state, mail.plain("bob@soft.test", TO, "q1"), mail.FORGER_IP, "bob@soft.test")
    assert (out.decision.action, out.decision.guard) == ("quarantine", "dmarc")
    assert any(e.name == "X-Mailwarden-Quarantine" for e in out.edits)


def test_list_with_trusted_arc(state):
    raw = mail.list_forward(mail.signed("alice@partner.test", "l@list.test", "a1"), "list.test", keyname="list")
    out = run(state, raw, mail.LIST_IP, "list-bounces@list.test")
    assert (out.decision.action, out.decision.override) == ("accept", "trusted-arc-sealer")


def test_backscatter_and_genuine_bounce(state):
    forged = mail.dsn(TO, mail.plain("dana@home.test", "x@far.example", "spam"), "b1")
    out = run(state, forged, "127.0.0.77", "")
    assert (out.decision.action, out.decision.guard) == ("reject", "backscatter")
    tagged = sign(TO, mail.BATV_KEY, time.time()).address
    out = run(state, mail.dsn(tagged, mail.plain("dana@home.test", "x@far.example", "sent"), "b2"),
              "127.0.0.77", "", rcpt=tagged)
    assert out.decision.action == "accept", out.decision


def test_a_forged_batv_tag_is_backscatter(state):
    bad = "prvs=0123abcdef=dana@home.test"
    out = run(state, mail.dsn(bad, mail.plain("dana@home.test", "x@far.example", "x"), "b3"), "127.0.0.77", "",
              rcpt=bad)
    assert out.decision.guard == "backscatter"
    assert "bad-signature" in out.decision.reasons[-1]


def test_unsigned_recipient_bounce_with_our_verified_signature_is_genuine(state):
    original = mail.signed("dana@home.test", "x@far.example", "o1", keyname="home")
    out = run(state, mail.dsn(TO, original, "b4"), "127.0.0.77", "")
    assert out.decision.action == "accept", out.decision
    assert "valid DKIM signature of home.test" in out.decision.reasons[-1]


def test_bounce_quoting_a_tampered_signed_original_is_backscatter(state):
    original = mail.signed("dana@home.test", "x@far.example", "o2", keyname="home").replace(b"genuine", b"forged!")
    out = run(state, mail.dsn(TO, original, "b5"), "127.0.0.77", "")
    assert out.decision.guard == "backscatter"


def test_feedback_loop_reports_are_not_backscatter(state):
    raw = mail.dsn(TO, mail.plain("dana@home.test", "x@far.example", "arf"), "f1").replace(
        b"report-type=delivery-status", b"report-type=feedback-report").replace(
        b"message/delivery-status\r\n\r\nReporting-MTA: dns; far.example",
        b"message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1")
    out = run(state, raw, "127.0.0.77", "")
    assert out.decision.guard != "backscatter"


def test_allowlisted_auto_reply_with_dmarc_pass(state):
    raw = mail.signed("boss@partner.test", TO, "ar1", extra="Auto-Submitted: auto-replied\r\n")
    out = run(state, raw, mail.PARTNER_IP, "")
    assert out.decision.action == "accept"


def test_dns_timeout_is_the_fail_safe(state):
    out = run(state, mail.plain("bob@slow.test", TO, "t1"), "127.0.0.60", "bob@slow.test")
    assert (out.decision.action, out.decision.guard, out.decision.smtp_code) == ("tempfail", "error", "451")
    assert all(e.value is None for e in out.edits)  # nothing vouched for


def test_internal_error_is_the_fail_safe(state, monkeypatch):
    async def broken(*a, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(state.engine, "authenticate", broken)
    out = run(state, mail.plain("alice@partner.test", TO, "e1"), mail.PARTNER_IP, "alice@partner.test")
    assert (out.decision.action, out.decision.guard) == ("tempfail", "error")
    assert "RuntimeError" in out.decision.reasons[-1]


def test_time_limit_is_the_fail_safe(state, monkeypatch):
    from dataclasses import replace

    async def slow(*a, **kw):
        await asyncio.sleep(5)

    monkeypatch.setattr(state.engine, "authenticate", slow)
    monkeypatch.setattr(state, "config", replace(state.config, timeout=0.1))
    started = time.monotonic()
    out = run(state, mail.plain("alice@partner.test", TO, "e2"), mail.PARTNER_IP, "alice@partner.test")
    assert time.monotonic() - started < 2
    assert out.decision.action == "tempfail" and "within 0.1 s" in out.decision.reasons[-1]


def test_oversize_message_passes_unchecked_but_forged_claims_go(state):
    raw = mail.plain("ceo@home.test", TO, "big", extra="Authentication-Results: mx.home.test; dmarc=pass\r\n")
    out = run(state, raw, mail.FORGER_IP, "ceo@home.test", truncated=True)
    assert (out.decision.action, out.decision.guard) == ("accept", "oversize")
    assert [e.value for e in out.edits] == [None]


@pytest.mark.parametrize("raw", [b"", b"\x00\xff garbage", b"From: \r\n\r\n", b"Subject: x" * 1000])
def test_broken_messages_get_an_answer(state, raw):
    out = run(state, raw, mail.FORGER_IP, "x@evil.example")
    assert out.decision.action in ("accept", "reject", "tempfail", "quarantine")
    assert out.decision.guard != "error" or "internal" not in out.decision.reasons[-1]


def test_a_message_that_cannot_be_parsed_is_refused_permanently(state):
    out = run(state, b"", mail.FORGER_IP, "x@evil.example")
    assert (out.decision.action, out.decision.guard, out.decision.smtp_code, out.decision.smtp_xcode) == (
        "reject", "malformed", "550", "5.6.0")


def test_own_claims_ignores_lookalike_ids():
    hs = [("Authentication-Results", " mx.home.test.evil; dmarc=pass"), ("Authentication-Results", ' "mx.home.test"; x'),
          ("Authentication-Results", " mx.home.test (comment); spf=pass")]
    assert [e.index for e in own_claims(hs, "mx.home.test")] == [2, 3]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_fold_keeps_every_non_separator_character(text):
    folded = _fold("Authentication-Results: " + text)
    assert "".join(folded.split()).replace(";", "") == "".join(text.split()).replace(";", "")


def test_a_live_resolver_has_no_process_wide_deadline():
    """The filter runs for weeks: only the per-message time limit may cut DNS short."""
    from mailwarden.filter.config import FilterConfig

    live = build_state(FilterConfig(nameserver="127.0.0.1:53")).engine.resolver
    assert live._deadline_at is None and live._timeout == FilterConfig().dns_timeout


@pytest.mark.parametrize(("value", "parts"), [
    ("mx; spf=pass; dkim=pass (a; b) header.d=x", ["mx", "spf=pass", "dkim=pass (a; b) header.d=x"]),
    ('mx; x="a;b"; y=1', ["mx", 'x="a;b"', "y=1"]),
    ("mx; a (nested (c; d) e); b", ["mx", "a (nested (c; d) e)", "b"]),
    ("mx; a (unbalanced; b", ["mx", "a (unbalanced; b"]),
])
def test_fold_splits_only_top_level_semicolons(value, parts):
    assert _fold("Authentication-Results: " + value).split(";\n\t") == parts
