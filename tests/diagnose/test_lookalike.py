"""Look-alike detection: homoglyphs, IDN, one edit, other TLD, added words, display names."""

from __future__ import annotations

import time

import pytest

from mailwarden.diagnose.lookalike import confusable_domain, edit_distance, find_lookalikes, skeleton
from mailwarden.message.addresses import parse_address_list


@pytest.mark.parametrize(("domain", "kind"), [
    ("exаmple.com", "homoglyph"),  # Cyrillic а (U+0430)
    ("xn--exmple-4nf.com", "homoglyph"),  # the same, as punycode
    ("ехample.com", "homoglyph"),  # Cyrillic е and х
    ("examp1e.com", "homoglyph"),  # digit 1 for l
    ("exarnple.com", "homoglyph"),  # rn for m
    ("exanple.com", "one-edit"),
    ("exmaple.com", "one-edit"),  # transposition
    ("examplle.com", "one-edit"),  # insertion
    ("example.net", "tld-swap"),
    ("example.co.uk", "tld-swap"),
    ("example-secure.com", "added-word"),
    ("secure-example.com", "added-word"),
    ("examplemail.com", "added-word"),
    ("example.com.evil.example", "subdomain-trick"),
])
def test_confusable_kinds(domain, kind):
    found = confusable_domain(domain, "example.com")
    assert found is not None, domain
    assert found[0] == kind


@pytest.mark.parametrize("domain", [
    "example.com", "mail.example.com", "shopmart.example", "counterexample.com", "samples.com", "google.com",
])
def test_not_confusable(domain):
    assert confusable_domain(domain, "example.com") is None


def test_short_owner_labels_are_not_edit_matched():
    assert confusable_domain("ab.com", "ac.com") is None


def test_display_name_carrying_the_owner_address():
    froms = parse_address_list('"alice@example.com" <billing@evil.example>')
    found = find_lookalikes(froms, ["alice@example.com"], ["example.com"])
    assert [x.kind for x in found] == ["display-name"]
    assert found[0].imitates == "alice@example.com"


def test_display_name_with_homoglyph_address():
    froms = parse_address_list('"аlice@example.com" <x@evil.example>')  # Cyrillic а
    assert [x.kind for x in find_lookalikes(froms, ["alice@example.com"], [])] == ["display-name"]


def test_owner_mailbox_is_not_a_lookalike():
    froms = parse_address_list('"Alice" <alice@example.com>, "Bob" <bob@sub.example.com>')
    assert find_lookalikes(froms, ["alice@example.com"], ["example.com"]) == ()


def test_display_name_domain_word_boundary():
    froms = parse_address_list('"news from myexample.community" <n@other.example>')
    assert find_lookalikes(froms, [], ["example.com"]) == ()


def test_edit_distance():
    assert edit_distance("example", "exanple") == 1
    assert edit_distance("example", "exmaple") == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("a" * 60, "b" * 60, 1) == 2  # early exit


def test_skeleton_folds_fullwidth_and_marks():
    assert skeleton("ｅｘａｍｐｌｅ") == skeleton("example")
    assert skeleton("exämple") == skeleton("example")


def test_hostile_sizes_are_bounded():
    long_domain = ("a" * 63 + ".") * 3 + "com"
    froms = parse_address_list(f'"{"x" * 100_000}" <u@{long_domain}>, ' * 200)
    start = time.monotonic()
    find_lookalikes(froms, ["alice@example.com"], ["example.com"])
    assert time.monotonic() - start < 5
