"""DMARC record parsing (RFC 9989 section 4.7, RFC 7489 section 6.3)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.dmarc import is_dmarc_record, parse_dmarc_record


def test_all_rfc9989_tags():
    rec = parse_dmarc_record(
        "v=DMARC1; p=quarantine; sp=reject; np=reject; psd=n; t=y; adkim=s; aspf=s; "
        "rua=mailto:agg@example.com,mailto:agg2@example.net!10m; ruf=mailto:f@example.com; fo=1:d"
    )
    assert rec.valid and rec.errors == ()
    assert (rec.p, rec.sp, rec.np, rec.psd, rec.t) == ("quarantine", "reject", "reject", "n", True)
    assert (rec.adkim, rec.aspf) == ("s", "s")
    assert rec.rua == ("mailto:agg@example.com", "mailto:agg2@example.net!10m")
    assert rec.ruf == ("mailto:f@example.com",)
    assert rec.fo == ("1", "d")
    assert rec.warnings == ()


def test_rfc7489_tags_and_defaults():
    rec = parse_dmarc_record("v=DMARC1; p=none; pct=20; rf=afrf; ri=3600")
    assert (rec.pct, rec.rf, rec.ri) == (20, ("afrf",), 3600)
    assert {w.tag for w in rec.warnings} == {"pct", "rf", "ri"}  # removed in RFC 9989
    plain = parse_dmarc_record("v=DMARC1; p=none")
    assert (plain.pct, plain.ri, plain.adkim, plain.aspf, plain.psd, plain.t) == (100, 86400, "r", "r", "u", False)


def test_tag_without_value_is_named_syntax_error():
    rec = parse_dmarc_record("v=DMARC1; p=none; reject")
    assert not rec.valid
    assert "missing tag or value" in rec.error_text() and "reject" in rec.error_text()
    assert rec.effective_p() is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("v=DMARC1; p=none; p=reject", "duplicate"),
        ("v=DMARC1; p=none; 1x=y", "invalid tag name"),
        ("p=none; v=DMARC1", "must start with v=DMARC1"),
        ("v=DMARC2; p=none", "must start with v=DMARC1"),
    ],
)
def test_named_syntax_errors(text, needle):
    rec = parse_dmarc_record(text)
    assert not rec.valid
    assert needle in rec.error_text()


def test_unknown_tags_ignored():
    rec = parse_dmarc_record("v=DMARC1; p=reject; foo=bar; Ext_1=x")
    assert rec.valid and rec.p == "reject"
    assert rec.unknown_tags == ("foo", "ext_1")


def test_invalid_values_fall_back_with_warning():
    rec = parse_dmarc_record("v=DMARC1; p=reject; sp=bogus; adkim=x; pct=200; fo=9; rua=http//bad, mailto:nope")
    assert rec.valid
    assert rec.sp is None and rec.adkim == "r" and rec.pct == 100 and rec.fo == ("0",)
    assert rec.rua == ()
    assert {w.tag for w in rec.warnings} >= {"sp", "adkim", "pct", "fo", "rua"}


def test_case_insensitive_keywords_and_whitespace():
    rec = parse_dmarc_record("v=DMARC1 ;  P = Reject ; SP=Quarantine;")
    assert rec.valid and (rec.p, rec.sp) == ("reject", "quarantine")


def test_missing_p_differs_by_mode():
    rec = parse_dmarc_record("v=DMARC1; sp=quarantine; np=reject")
    assert rec.effective_p("rfc9989") == "none"  # RFC 9989: treated as p=none
    assert rec.effective_p("rfc7489") is None  # RFC 7489 6.6.3: no rua, no DMARC
    with_rua = parse_dmarc_record("v=DMARC1; sp=quarantine; rua=mailto:d@example.com")
    assert with_rua.effective_p("rfc7489") == "none"


def test_invalid_p_without_rua_means_no_dmarc_in_both_modes():
    rec = parse_dmarc_record("v=DMARC1; p=bogus")
    assert rec.p_invalid
    assert rec.effective_p("rfc9989") is None and rec.effective_p("rfc7489") is None
    assert parse_dmarc_record("v=DMARC1; p=bogus; rua=mailto:a@b.example").effective_p("rfc9989") == "none"


def test_is_dmarc_record():
    assert is_dmarc_record("v=DMARC1; p=none")
    assert is_dmarc_record("v=DMARC1")
    assert not is_dmarc_record("v=spf1 -all")
    assert not is_dmarc_record("v=DMARC10; p=none")


def test_hostile_record_bounded():
    text = "v=DMARC1; p=none; " + "rua=" + ",".join(["mailto:a@b.example"] * 100_000)
    start = time.perf_counter()
    rec = parse_dmarc_record(text)
    assert time.perf_counter() - start < 1.0
    assert len(rec.rua) <= 100


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text):
    rec = parse_dmarc_record("v=DMARC1; " + text)
    assert isinstance(rec.valid, bool)
