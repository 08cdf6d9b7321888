"""Macro parsing and expansion (RFC 7208 section 7), including the section 7.4 examples."""

from __future__ import annotations

import pytest

from mailwarden.spf.evaluate import dotted_ip, parse_ip
from mailwarden.spf.macros import (
    MAX_EXPANSION,
    MacroSyntaxError,
    MacroValues,
    parse_macro_string,
    truncate_domain,
)


def values(ip_version: int = 4) -> MacroValues:
    version, value, text = parse_ip("192.0.2.3" if ip_version == 4 else "2001:db8::cb01")
    dotted = dotted_ip(version, value, text)
    return MacroValues("strong-bad@email.example.com", "strong-bad", "email.example.com", dotted, text,
                       ip_version, "mx.example.org", "mx.receiver.example", 1700000000)


def expand(text: str, v: MacroValues | None = None, *, explanation: bool = False) -> str:
    return parse_macro_string(text, explanation=explanation).expand(v or values(), "email.example.com")


@pytest.mark.parametrize(("macro", "expected"), [
    ("%{s}", "strong-bad@email.example.com"),
    ("%{o}", "email.example.com"),
    ("%{d}", "email.example.com"),
    ("%{d4}", "email.example.com"),
    ("%{d3}", "email.example.com"),
    ("%{d2}", "example.com"),
    ("%{d1}", "com"),
    ("%{dr}", "com.example.email"),
    ("%{d2r}", "example.email"),
    ("%{l}", "strong-bad"),
    ("%{l-}", "strong.bad"),
    ("%{lr}", "strong-bad"),
    ("%{lr-}", "bad.strong"),
    ("%{l1r-}", "strong"),
    ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
])
def test_rfc7208_section_7_4_examples(macro, expected):
    assert expand(macro) == expected


def test_rfc7208_section_7_4_ipv6_example():
    got = expand("%{ir}.%{v}._spf.%{d2}", values(6))
    assert got.lower() == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"


def test_escapes_uppercase_and_delimiters():
    assert expand("a%%b%_c%-d") == "a%b c%20d"
    v = values()
    v.local_part = "~jack&jill=up-a_b3.c"
    assert expand("%{L}", v) == "~jack%26jill%3Dup-a_b3.c"
    v.local_part = "foo-bar+zip+quux"
    assert expand("%{l2r+-}", v) == "bar.foo"
    assert expand("%{l=}", v) == "foo-bar+zip+quux"
    assert expand("%{l100}", v) == "foo-bar+zip+quux"


def test_explanation_only_letters_and_p_r_t():
    v = values()
    assert expand("%{c} via %{r} at %{t}", v, explanation=True) == "192.0.2.3 via mx.receiver.example at 1700000000"
    with pytest.raises(MacroSyntaxError, match="not allowed"):
        parse_macro_string("%{c}.example.com")
    with pytest.raises(MacroSyntaxError, match="not allowed"):
        parse_macro_string("%{r}.example.com")
    v.ptr = "mail.example.com"
    parsed = parse_macro_string("%{p}.example.com")
    assert parsed.uses_ptr and parsed.expand(v, "x.example") == "mail.example.com.example.com"
    assert parse_macro_string("%{v}", explanation=False).expand(values(6), "d") == "ip6"


@pytest.mark.parametrize("bad", ["%", "%x", "%{", "%{s", "%{z}", "%{s0}", "a%(ir)", "sp ace", "tab\t", "%{sx}"])
def test_syntax_errors(bad):
    with pytest.raises(MacroSyntaxError):
        parse_macro_string(bad)


def test_explanation_allows_spaces_but_not_bad_macros():
    assert parse_macro_string("Go see http://x.example/%{s} now", explanation=True).parts
    with pytest.raises(MacroSyntaxError):
        parse_macro_string("The %{x}-files.", explanation=True)


def test_literal_fast_path():
    parsed = parse_macro_string("_spf.example.com")
    assert parsed.literal == "_spf.example.com" and not parsed.ends_with_macro
    assert parse_macro_string("foo.%{d}").ends_with_macro and parse_macro_string("foo.%%").ends_with_macro


def test_truncation_to_253_from_the_left():
    label = "a" * 50
    name = ".".join([label] * 6) + ".example.com."
    out = truncate_domain(name)
    assert len(out) <= 253 and out.endswith("example.com") and not out.startswith(".")
    assert truncate_domain("example.com.") == "example.com"


def test_expansion_is_bounded():
    v = values()
    v.local_part = "x" * 1000
    parsed = parse_macro_string("%{l}" * 3 + ".example.com")
    v.local_part = "x" * 300
    assert len(parsed.expand(v, "d")) == 900 + len(".example.com")
    v.local_part = "x" * 1000
    too_long = parse_macro_string("%{l}" * (MAX_EXPANSION // 1000 + 1))
    with pytest.raises(MacroSyntaxError, match="longer than"):
        too_long.expand(v, "d")
