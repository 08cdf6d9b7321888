"""Address lists (RFC 5322 section 3.4), including the tricks forgers use."""

from __future__ import annotations

import pytest

from mailwarden.message.addresses import parse_address_list, parse_single_address, to_ascii_domain


def addrs(text):
    return [a.address for a in parse_address_list(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@example.com", ["alice@example.com"]),
        ("Alice <alice@example.com>", ["alice@example.com"]),
        ('"Smith, John" <john@example.com>, jane@example.org', ["john@example.com", "jane@example.org"]),
        ("undisclosed-recipients:;", []),
        ("friends: a@x.example, b@y.example;, c@z.example", ["a@x.example", "b@y.example", "c@z.example"]),
        ("<@route.example,@r2.example:user@final.example>", ["user@final.example"]),
        ("alice@EXAMPLE.COM", ["alice@example.com"]),
        ("alice@example.com (Alice Smith)", ["alice@example.com"]),
        ('"a@b.example" <real@evil.example>', ["real@evil.example"]),
        ("<a@x.example>, <b@y.example>", ["a@x.example", "b@y.example"]),
        ('"quoted local"@example.com', ['"quoted local"@example.com']),
        ("user@[192.0.2.1]", ["user@[192.0.2.1]"]),
    ],
)
def test_address_lists(text, expected):
    assert addrs(text) == expected


def test_comment_trick_does_not_change_the_domain():
    # CVE-2020-12272 class: the comment must not be read as part of the domain.
    (address,) = parse_address_list("user@example.net(.example.com)")
    assert address.domain == "example.net"
    (address,) = parse_address_list("<user@example.net(.example.com)>")
    assert address.domain == "example.net"


def test_display_name_with_encoded_words_and_an_address():
    (address,) = parse_address_list("=?utf-8?Q?alice=40example=2Ecom?= <x@evil.example>")
    assert address.display_name == "alice@example.com"
    assert address.domain == "evil.example"


def test_idn_domains_both_forms():
    (address,) = parse_address_list("j@bücher.example")
    assert address.domain == "bücher.example"
    assert address.domain_ascii == "xn--bcher-kva.example"
    (address,) = parse_address_list("j@xn--bcher-kva.example")
    assert address.domain == "bücher.example"
    assert to_ascii_domain("EXAMPLE.com") == "example.com"


def test_single_address_and_null_sender():
    assert parse_single_address("<>") is None
    assert parse_single_address("<bounce@example.com>").address == "bounce@example.com"


def test_unterminated_constructs_do_not_crash():
    for text in ['"unterminated <a@b.example>', "(open comment a@b.example", "<a@b.example", "a@", "@", "[", "<>"]:
        parse_address_list(text)
