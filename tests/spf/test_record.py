"""Pure parsing of SPF records (RFC 7208 sections 4.5, 4.6.1, 5, 6, 7.1 and 12)."""

from __future__ import annotations

import pytest

from mailwarden.dns.base import Answer, Rcode
from mailwarden.spf import parse_record, select_record
from mailwarden.spf.record import is_spf_record, select_txt_record


def test_every_mechanism_with_qualifiers_and_cidr():
    rec = parse_record(
        "v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx mx:example.org/28 "
        "ptr ptr:example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.com -all"
    )
    assert rec.ok, rec.error
    kinds = [(m.qualifier, m.kind) for m in rec.mechanisms]
    assert kinds == [("+", "all"), ("-", "include"), ("~", "a"), ("?", "a"), ("+", "mx"), ("+", "mx"),
                     ("+", "ptr"), ("+", "ptr"), ("+", "ip4"), ("+", "ip6"), ("+", "exists"), ("-", "all")]
    a = rec.mechanisms[3]
    assert (a.domain.literal, a.cidr4, a.cidr6) == ("mail.example.com", 24, 64)
    assert (rec.mechanisms[5].cidr4, rec.mechanisms[5].cidr6) == (28, 128)
    assert rec.mechanisms[2].domain is None and rec.mechanisms[2].cidr4 == 32
    assert [m.result for m in rec.mechanisms[:4]] == ["pass", "fail", "softfail", "neutral"]
    ip4 = rec.mechanisms[8]
    assert ip4.covers(4, 0xC0000263) and not ip4.covers(4, 0xC0000363) and not ip4.covers(6, 0xC0000263)
    ip6 = rec.mechanisms[9]
    assert ip6.covers(6, 0x20010DB8 << 96 | 5) and not ip6.covers(6, 0x20010DB9 << 96)
    assert rec.mechanisms[10].domain.uses_ptr is False and rec.mechanisms[10].domain.literal is None
    assert rec.dns_terms == 8


def test_modifiers_redirect_exp_unknown_and_case():
    rec = parse_record("V=SPF1 MX REDIRECT=_spf.example.com Exp=explain.%{d} foo-bar.baz=anything%%")
    assert rec.ok, rec.error
    assert rec.redirect.literal == "_spf.example.com"
    assert rec.exp.text == "explain.%{d}"
    assert [m.name for m in rec.modifiers] == ["redirect", "exp", "foo-bar.baz"]
    assert rec.dns_terms == 2
    assert rec.all_mechanism is None


def test_spaces_trailing_and_multiple():
    assert parse_record("v=spf1  a   -all ").ok
    assert len(parse_record("v=spf1").mechanisms) == 0


@pytest.mark.parametrize(("record", "term"), [
    ("v=spf1 ip4:1.2.3.4 -all moo", "moo"),
    ("v=spf1 -all.", "-all."),
    ("v=spf1 -all:foobar", "-all:foobar"),
    ("v=spf1 -all/8", "-all/8"),
    ("v=spf1 ptr/0 -all", "ptr/0"),
    ("v=spf1 ptr:", "ptr:"),
    ("v=spf1 a:", "a:"),
    ("v=spf1 a/33", "a/33"),
    ("v=spf1 a//129", "a//129"),
    ("v=spf1 a/24/64", "a/24/64"),
    ("v=spf1 a:museum", "a:museum"),
    ("v=spf1 a:museum.", "a:museum."),
    ("v=spf1 a:abc.123", "a:abc.123"),
    ("v=spf1 a:example.-com", "a:example.-com"),
    ("v=spf1 a:example.com:8080", "a:example.com:8080"),
    ("v=spf1 mx:foo.example.com\0", "mx:foo.example.com\0"),
    ("v=spf1 include", "include"),
    ("v=spf1 include:ip5.example.com/24", "include:ip5.example.com/24"),
    ("v=spf1 exists", "exists"),
    ("v=spf1 exists:mail.example.com/24", "exists:mail.example.com/24"),
    ("v=spf1 ip4", "ip4"),
    ("v=spf1 ip4:1.2.3", "ip4:1.2.3"),
    ("v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080"),
    ("v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32"),
    ("v=spf1 ip4:1.2.3.4/33", "ip4:1.2.3.4/33"),
    ("v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032"),
    ("v=spf1 ip4:01.2.3.4", "ip4:01.2.3.4"),
    ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE"),
    ("v=spf1 ip6:::1.1.1.1/129", "ip6:::1.1.1.1/129"),
    ("v=spf1 ip6:::1.1.1.1//33", "ip6:::1.1.1.1//33"),
    ("v=spf1 redirect:t2.example.com", "redirect:t2.example.com"),
    ("v=spf1 moo.cow/far_out=man:dog/cat", "moo.cow/far_out=man:dog/cat"),
    ("v=spf1 1up=foo", "1up=foo"),
    ("v=spf1 =all", "=all"),
    ("v=spf1 exp=", "exp="),
    ("v=spf1 exp=-all", "exp=-all"),
    ("v=spf1 redirect=", "redirect="),
    ("v=spf1 exp=a.example.com exp=b.example.com", "exp=b.example.com"),
    ("v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com"),
    ("v=spf1 foo=%abc", "foo=%abc"),
    ("v=spf1 a:ctrl.example.com\rptr -all", "a:ctrl.example.com\rptr"),
    ("v=spf1 ip4:192.0.2.5\n include:x.example.com", "ip4:192.0.2.5\n"),
    ("v=spf1 a:%{x}.example.com", "a:%{x}.example.com"),
    ("v=spf1 exists:%{r}.example.com", "exists:%{r}.example.com"),
    ("v=spf1 exists:%(ir).sbl.example.com", "exists:%(ir).sbl.example.com"),
    ("v=spf1 exists:foo%.sbl.example.com", "exists:foo%.sbl.example.com"),
    ("v=spf1 exists:%{l0}.example.com", "exists:%{l0}.example.com"),
    ("v=spf1 - all", "-"),
])
def test_syntax_errors_name_the_term(record, term):
    rec = parse_record(record)
    assert not rec.ok
    assert repr(term) in rec.error


def test_non_ascii_is_an_error_naming_the_term():
    rec = parse_record("v=spf1 a:\ufeffgarbage.example.net -all")
    assert not rec.ok and "non-ASCII" in rec.error and "garbage" in rec.error


def test_valid_oddities():
    # domain-spec may contain any visible character except %; the toplabel decides
    assert parse_record("v=spf1 a:foo:bar/baz.example.com").mechanisms[0].domain.literal == "foo:bar/baz.example.com"
    assert parse_record("v=spf1 a:foo.example.xn--zckzah -all").ok
    assert parse_record("v=spf1 a:example.com. -all").ok
    assert parse_record("v=spf1 a:%{H} -all").ok  # ends in a macro: no toplabel needed
    assert parse_record("v=spf1 default=+ moo.cow-far_out=man:dog/cat").ok
    assert parse_record("v=spf1 ip6:::FFFF:1.2.3.4 ip4:0.0.0.0/0 ip6:::/0").ok
    rec = parse_record("v=spf1 a//0 mx/0")
    assert rec.mechanisms[0].cidr6 == 0 and rec.mechanisms[1].cidr4 == 0


def test_version_selection():
    assert is_spf_record("v=spf1") and is_spf_record("V=SpF1 -all")
    assert not is_spf_record("v=spf10") and not is_spf_record("v=spf1-all") and not is_spf_record("spf1")
    assert select_record(["hello", "v=spf1 -all"]) == ("v=spf1 -all", 1)
    assert select_record(["v=spf1 -all", "v=spf1 +all"]) == (None, 2)
    assert select_record(["v=spf10", "verification=x"]) == (None, 0)


@pytest.mark.parametrize("records", [
    (), (("hello",), ("v=spf1 -all",)), (("v=spf1 ", "ip4:192.0.2.1 ", "-all"),), (("v=spf1",), ("V=SPF1 +all",)),
    (("v=spf", "1 -all"),), (("v=spf10",), ("verification=x",)), (("",),), ("v=spf1 -all", ("x",)),
])
def test_select_txt_record_is_select_record_over_the_answer_texts(records):
    # Section 3.3: the character-strings of one TXT record are concatenated; non-TXT items are skipped.
    answer = Answer("example.com", "TXT", Rcode.NOERROR, records)
    assert select_txt_record(answer.records) == select_record(answer.texts())
    assert not parse_record("v=spf10 -all").ok


def test_parse_is_cached_and_results_immutable():
    a = parse_record("v=spf1 mx -all")
    assert parse_record("v=spf1 mx -all") is a
    with pytest.raises(AttributeError):
        a.text = "x"  # type: ignore[misc]


def test_huge_record_is_refused_quickly():
    rec = parse_record("v=spf1 " + "a" * 70_000)
    assert not rec.ok and "longer than" in rec.error


def test_control_characters_in_domains_are_errors_on_every_path():
    for term in ("include:foo\x00.example.com", "include:foo\x7f.example.com", "exists:a\x01.example.com",
                 "a:b\x02.example.com", "mx:b.ex\tample.com"):
        rec = parse_record("v=spf1 " + term)
        assert not rec.ok and repr(term) in rec.error, term


@pytest.mark.parametrize("kind", ["include", "exists", "a", "mx"])
def test_literal_domain_over_253_characters_is_truncated_like_any_other(kind):
    # Section 7.3: labels are cut from the left until the name fits; the fast path must not skip that.
    long_name = ".".join(["x" * 60] * 4) + ".example.com"  # 258 characters
    for spec in (long_name, long_name + "."):
        mech = parse_record(f"v=spf1 {kind}:{spec}").mechanisms[0]
        assert mech.domain.literal == spec
        assert mech.domain.name == ".".join(["x" * 60] * 3) + ".example.com"
    assert parse_record(f"v=spf1 {kind}:_spf.Example.COM.").mechanisms[0].domain.name == "_spf.Example.COM"


@pytest.mark.parametrize("text", [
    "v=spf1", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 mx include:_spf.example.com ~all",
    "V=SPF1 a:mail.example.com/24//64 redirect=_spf.example.com exp=explain.%{d} foo=bar",
])
def test_valid_record_is_the_dataclass_built_one(text):
    # parse_record builds well-formed records through the slots (record.py _valid_record): same object.
    import dataclasses

    from mailwarden.spf.record import _RECORD_SLOTS, SPFRecord, _parse

    assert tuple(f.name for f in dataclasses.fields(SPFRecord)) == _RECORD_SLOTS
    rec = parse_record(text)
    built = SPFRecord(rec.text, rec.plan, rec.modifiers, rec.redirect, rec.exp, rec.error)
    assert rec == built and repr(rec) == repr(built) and rec.ok
    assert dataclasses.replace(rec) == rec and dataclasses.astuple(rec) == dataclasses.astuple(built)
    again = _parse(text)  # a second parse (not the memoized object) is equal, with the same hash
    assert again is not rec and again == rec and hash(again) == hash(rec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.text = "v=spf1 +all"  # type: ignore[misc]


@pytest.mark.parametrize("text, ok", [("v=spf1 -all", True), ("v=spf1", True), ("V=SPF1 -all", True),
                                      ("v=Spf1 ip4:192.0.2.1", True), ("v=spf1x -all", False),
                                      ("v=spf10 -all", False), ("v=spf -all", False), (" v=spf1 -all", False)])
def test_version_check_fast_path_and_pattern_agree(text, ok):
    """_parse and select_txt_record compare "v=spf1 " first and fall back to the section 4.5 pattern."""
    from mailwarden.spf.record import _parse

    assert (_parse(text).error is None) is ok
    assert select_txt_record(((text,), ("other",))) == ((text, 1) if ok else (None, 0))
    assert is_spf_record(text) is ok


def test_fast_include_domain_is_the_literal_macro_string():
    from mailwarden.spf.macros import literal_domain
    from mailwarden.spf.record import _parse

    rec = _parse("v=spf1 include:_spf.Example.COM. -all")
    assert rec.plan[0].domain == literal_domain("_spf.Example.COM.", "_spf.Example.COM", valid_name=True)
