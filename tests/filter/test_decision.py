"""The filter's decision logic (mailwarden.filter.decision), on hand-made engine results."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from types import SimpleNamespace as NS

import pytest

from mailwarden.filter.config import FilterConfig
from mailwarden.filter.decision import BackscatterEvidence, Transaction, claimed_from_domains, decide

CONFIG = FilterConfig(authserv_id="mx.home.test", local_domains=("home.test",))
FORGER = Transaction("198.51.100.66", "evil.example", "x@evil.example", ("dana@home.test",))


def auth(result="fail", from_domain="home.test", disposition="none", policy="none", spf="fail",
         dkim=(), arc=None):
    dmarc = NS(result=result, from_domain=from_domain, from_domains=(from_domain,) if from_domain else (),
               disposition=disposition, policy=policy, reason="test")
    return NS(dmarc=dmarc, spf=NS(result=spf), dkim=tuple(NS(result=r) for r in dkim),
              arc=arc or NS(cv="none", sets=()))


def arc_chain(sealer="list.test", aar="mx.list.test; dmarc=pass header.from=partner.test", cv="pass",
              seal="pass"):
    s = NS(instance=1, seal=NS(domain=sealer, result=seal), authentication_results=aar)
    return NS(cv=cv, sets=(s,))


def froms(domain="home.test"):
    return [f"<ceo@{domain}>"]


def test_self_spoof_under_p_none_is_rejected():
    d = decide(CONFIG, FORGER, auth(), from_values=froms())
    assert (d.action, d.guard, d.smtp_code, d.smtp_xcode) == ("reject", "self-spoof", "550", "5.7.1")
    assert "home.test" in d.smtp_text


def test_self_spoof_of_a_subdomain_is_caught():
    d = decide(CONFIG, FORGER, auth(from_domain="news.home.test"), from_values=froms("news.home.test"))
    assert d.guard == "self-spoof"


def test_self_spoof_with_no_dmarc_record_at_all_is_caught():
    d = decide(CONFIG, FORGER, auth(result="none"), from_values=froms())
    assert d.guard == "self-spoof"


def test_self_spoof_quarantine_when_configured():
    d = decide(replace(CONFIG, self_spoof_action="quarantine"), FORGER, auth(), from_values=froms())
    assert (d.action, d.guard, d.smtp_code) == ("quarantine", "self-spoof", None)


def test_self_spoof_guard_off():
    d = decide(replace(CONFIG, self_spoof_action="none"), FORGER, auth(), from_values=froms())
    assert d.action == "accept"


def test_aligned_pass_from_own_domain_is_accepted():
    d = decide(CONFIG, FORGER, auth(result="pass", spf="pass"), from_values=froms())
    assert (d.action, d.guard) == ("accept", None)


def test_smtp_auth_user_is_stamped_not_judged():
    tx = replace(FORGER, authenticated_user="dana")
    d = decide(CONFIG, tx, auth(disposition="reject", policy="reject"), from_values=froms())
    assert d.action == "accept" and any("authenticated as dana" in r for r in d.reasons)


def test_trusted_network_is_stamped_not_judged():
    cfg = replace(CONFIG, trusted_networks=(ipaddress.ip_network("198.51.100.0/24"),))
    assert decide(cfg, FORGER, auth(), from_values=froms()).action == "accept"


def test_from_the_parser_refused_is_still_read_for_a_local_domain():
    """Two addresses in From (DMARC permerror, no domain evaluated): the raw text still names home.test."""
    a = auth(result="permerror", from_domain=None)
    d = decide(CONFIG, FORGER, a, from_values=["a@elsewhere.example, ceo@HOME.test"])
    assert d.guard == "self-spoof"
    assert claimed_from_domains(["\"x@y\" <ceo@home.test.>"], a.dmarc) == ("y", "home.test")


@pytest.mark.parametrize(("disposition", "action"), [("reject", "reject"), ("quarantine", "quarantine")])
def test_dmarc_policy_is_enforced(disposition, action):
    a = auth(from_domain="partner.test", disposition=disposition, policy=disposition)
    d = decide(CONFIG, FORGER, a, from_values=froms("partner.test"))
    assert (d.action, d.guard) == (action, "dmarc")
    if action == "reject":
        assert (d.smtp_code, d.smtp_xcode) == ("550", "5.7.1")


def test_dmarc_none_policy_of_a_foreign_domain_is_accepted():
    d = decide(CONFIG, FORGER, auth(from_domain="partner.test"), from_values=froms("partner.test"))
    assert d.action == "accept"


def test_dmarc_enforcement_can_be_turned_off():
    a = auth(from_domain="partner.test", disposition="reject", policy="reject")
    assert decide(replace(CONFIG, dmarc_enforce=False), FORGER, a, from_values=froms("partner.test")).action == "accept"


def test_trusted_forwarder_overrides_dmarc_reject():
    cfg = replace(CONFIG, trusted_forwarders=(ipaddress.ip_network("198.51.100.0/24"),))
    a = auth(from_domain="partner.test", disposition="reject", policy="reject")
    d = decide(cfg, FORGER, a, from_values=froms("partner.test"))
    assert (d.action, d.override) == ("accept", "trusted-forwarder")


def test_trusted_forwarder_also_lifts_the_self_spoof_guard():
    cfg = replace(CONFIG, trusted_forwarders=(ipaddress.ip_network("198.51.100.66/32"),))
    assert decide(cfg, FORGER, auth(), from_values=froms()).action == "accept"


def test_trusted_arc_sealer_overrides_dmarc_reject():
    cfg = replace(CONFIG, trusted_arc_sealers=("list.test",))
    a = auth(from_domain="partner.test", disposition="reject", policy="reject", arc=arc_chain())
    d = decide(cfg, FORGER, a, from_values=froms("partner.test"))
    assert (d.action, d.override) == ("accept", "trusted-arc-sealer")


@pytest.mark.parametrize("chain", [
    arc_chain(sealer="other.test"),  # not trusted
    arc_chain(cv="fail"),  # chain broken
    arc_chain(seal="fail"),  # the trusted sealer's seal did not verify
    arc_chain(aar="mx.list.test; dmarc=fail header.from=partner.test"),  # the sealer saw a failure
    arc_chain(aar="mx.list.test; dmarc=pass header.from=elsewhere.test"),  # about another domain
])
def test_arc_override_needs_a_valid_chain_sealed_by_a_trusted_sealer_that_saw_a_pass(chain):
    cfg = replace(CONFIG, trusted_arc_sealers=("list.test",))
    a = auth(from_domain="partner.test", disposition="reject", policy="reject", arc=chain)
    assert decide(cfg, FORGER, a, from_values=froms("partner.test")).action == "reject"


def test_dmarc_temperror_is_the_fail_safe_answer():
    d = decide(CONFIG, FORGER, auth(result="temperror"), from_values=froms())
    assert (d.action, d.guard, d.smtp_code, d.smtp_xcode) == ("tempfail", "error", "451", "4.7.1")
    d = decide(replace(CONFIG, on_error="accept"), FORGER, auth(result="temperror"), from_values=froms())
    assert (d.action, d.guard) == ("accept", "error")


def test_a_negative_answer_hiding_a_dns_timeout_is_not_final():
    a = auth(from_domain="partner.test", disposition="reject", policy="reject", dkim=("temperror",))
    assert decide(CONFIG, FORGER, a, from_values=froms("partner.test")).action == "tempfail"
    assert decide(CONFIG, FORGER, auth(spf="temperror"), from_values=froms()).action == "tempfail"


BOUNCE = Transaction("198.51.100.7", "far.example", "", ("dana@home.test",))


def test_backscatter_is_rejected():
    ev = BackscatterEvidence(True, False, kind="dsn", reason="no signature")
    d = decide(CONFIG, BOUNCE, auth(result="none", from_domain="far.example"), from_values=froms("far.example"),
               backscatter=ev)
    assert (d.action, d.guard, d.smtp_code) == ("reject", "backscatter", "550")


def test_genuine_bounce_is_accepted():
    ev = BackscatterEvidence(True, True, kind="dsn", reason="BATV valid")
    d = decide(CONFIG, BOUNCE, auth(result="none", from_domain="far.example"), from_values=froms("far.example"),
               backscatter=ev)
    assert d.action == "accept"


def test_backscatter_quarantine_and_off():
    ev = BackscatterEvidence(True, False, kind="autoreply", reason="x")
    a = auth(result="none", from_domain="far.example")
    cfg = replace(CONFIG, backscatter_action="quarantine")
    assert decide(cfg, BOUNCE, a, from_values=froms("far.example"), backscatter=ev).action == "quarantine"
    cfg = replace(CONFIG, backscatter_action="none")
    assert decide(cfg, BOUNCE, a, from_values=froms("far.example"), backscatter=ev).action == "accept"


def test_backscatter_whose_original_could_not_be_checked_is_retried():
    ev = BackscatterEvidence(True, False, temperror=True, kind="dsn", reason="key timeout")
    a = auth(result="none", from_domain="far.example")
    assert decide(CONFIG, BOUNCE, a, from_values=froms("far.example"), backscatter=ev).action == "tempfail"


def test_allowlist_counts_only_when_dmarc_passes():
    ev = BackscatterEvidence(True, False, kind="autoreply", reason="x")
    hit = ("boss@partner.test (line 1)",)
    passing = auth(result="pass", from_domain="partner.test", spf="pass")
    d = decide(CONFIG, BOUNCE, passing, from_values=froms("partner.test"), backscatter=ev, allowlisted=hit)
    assert (d.action, d.allowlisted) == ("accept", hit)
    failing = auth(result="fail", from_domain="partner.test")
    d = decide(CONFIG, BOUNCE, failing, from_values=froms("partner.test"), backscatter=ev, allowlisted=hit)
    assert (d.action, d.guard, d.allowlisted) == ("reject", "backscatter", ())
    assert any("allowlist entry ignored" in r for r in d.reasons)


def test_allowlist_never_lifts_the_self_spoof_guard():
    d = decide(CONFIG, FORGER, auth(), from_values=froms(), allowlisted=("ceo@home.test (line 3)",))
    assert d.guard == "self-spoof" and d.allowlisted == ()
