"""The bounded regex matcher: agrees with `re` on safe patterns, linear on catastrophic ones."""

from __future__ import annotations

import re
import time

import pytest

from mailwarden.allowlist.saferegex import RegexUnsupported, SafeRegex

CASES = [
    (r"^alice@example\.com$", ["alice@example.com", "xalice@example.com", "alice@example.com.evil"]),
    (r"@example\.(com|net)$", ["a@example.com", "a@example.net", "a@example.org", "a@example.community"]),
    (r".*@(mail\.)?example\.com", ["x@mail.example.com", "x@example.com", "x@mailexample.com"]),
    (r"^[^@]+@[a-z0-9-]+\.example$", ["bob@foo-1.example", "bob@foo.bar.example", "@x.example"]),
    (r"a{2,3}@", ["a@", "aa@", "aaaa@"]),
    (r"^(?:ab)+$", ["ab", "abab", "aba", ""]),
    (r"x?y*z+", ["z", "xyz", "xy", "q"]),
    (r"^\w+\d@\S+$", ["ab1@c", "ab@c", "a1@ c"]),
    (r"[.]com$", ["a.com", "acom"]),
    (r"^$", ["", "a"]),
    (r"a|b|", ["", "c"]),
]


@pytest.mark.parametrize(("pattern", "texts"), CASES)
def test_agrees_with_re(pattern, texts):
    rx = SafeRegex(pattern)
    for t in texts:
        assert rx.search(t) == bool(re.search(pattern, t, re.I)), (pattern, t)


def test_case_insensitive():
    assert SafeRegex(r"^Alice@EXAMPLE\.com$").search("alice@example.com")
    assert SafeRegex(r"[A-Z]+@x").search("abc@x")


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(a*)*b", r"^(\w+\s?)*$", r"(.*a){12}"])
def test_catastrophic_patterns_are_linear(pattern):
    text = "a" * 3000 + "!"
    start = time.monotonic()
    SafeRegex(pattern).search(text)
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1",
        r"(?=x)y",
        r"(?<!x)y",
        r"a{1,9999}",
        "x" * 5000,
        "(" * 100 + ")" * 100,
        r"a++",
        "[abc",
        "(ab",
        "ab)",
        "*a",
    ],
)
def test_unsupported_or_invalid_raise_our_error(pattern):
    with pytest.raises(RegexUnsupported):
        SafeRegex(pattern)


def test_state_explosion_bounded():
    with pytest.raises(RegexUnsupported):
        SafeRegex(r"((a{200}){200}){200}")
