"""The trust boundary: trusted relays, authserv-id, owner MX, heuristic; forged HELO names."""

from __future__ import annotations

import pytest

from mailwarden.diagnose.boundary import find_boundary, parse_trusted_relays
from mailwarden.errors import InputError
from mailwarden.message import parse_message

CHAIN = b"""Return-Path: <bounce@sender.example>
Received: from mx2.provider.example ([10.1.2.3]) by store.provider.example with LMTP; Mon, 09 Nov 2026 21:42:10 +0000
Received: from filter.provider.example (filter.provider.example [192.0.2.9]) by mx2.provider.example with ESMTP; Mon, 09 Nov 2026 21:42:09 +0000
Received: from out.sender.example (out.sender.example [198.51.100.7]) by filter.provider.example with ESMTPS; Mon, 09 Nov 2026 21:42:08 +0000
Received: from laptop ([203.0.113.5]) by out.sender.example with ESMTPSA; Mon, 09 Nov 2026 21:42:07 +0000
From: someone@sender.example

body
"""


def test_trusted_relays_by_cidr_and_name():
    m = parse_message(CHAIN)
    b = find_boundary(m, trusted_relays=parse_trusted_relays(["mx2.provider.example", "192.0.2.0/28"]))
    assert b.method == "trusted-relay"
    assert (b.ip, b.helo, b.receiver, b.mail_from) == ("198.51.100.7", "out.sender.example",
                                                       "filter.provider.example", "bounce@sender.example")
    assert [h.by_host for h in b.below] == ["out.sender.example"]
    assert b.header_position == [h.lname for h in m.headers].index("received") + 2


def test_trusted_relay_domain_suffix():
    b = find_boundary(parse_message(CHAIN), trusted_relays=parse_trusted_relays([".provider.example"]))
    assert b.ip == "198.51.100.7"


def test_authserv_id_host():
    b = find_boundary(parse_message(CHAIN), trusted_authserv_ids=["filter.provider.example"])
    assert (b.method, b.ip) == ("authserv-id", "198.51.100.7")


def test_owner_mx_then_heuristic():
    m = parse_message(CHAIN)
    assert find_boundary(m, owner_mx_hosts=["mx2.provider.example"]).ip == "192.0.2.9"
    b = find_boundary(m)
    assert (b.method, b.ip) == ("heuristic", "192.0.2.9")  # first hop that is not LMTP/private


def test_forged_helo_does_not_extend_trust():
    raw = CHAIN.replace(b"from out.sender.example (out.sender.example [198.51.100.7])",
                        b"from mx2.provider.example (unknown [198.51.100.7])")
    b = find_boundary(parse_message(raw), trusted_relays=parse_trusted_relays(["mx2.provider.example",
                                                                               "192.0.2.0/28"]))
    assert b.ip == "198.51.100.7"  # HELO claims a relay name, but the address is outside


def test_relays_that_match_nothing_fall_back():
    b = find_boundary(parse_message(CHAIN), trusted_relays=parse_trusted_relays(["relay.elsewhere.example"]),
                      trusted_authserv_ids=["filter.provider.example"])
    assert b.method == "authserv-id"


def test_no_received_headers():
    b = find_boundary(parse_message(b"From: a@example.com\nSubject: x\n"))
    assert not b.found and b.method == "none" and "Received" in b.note


@pytest.mark.parametrize("bad", ["", "not a host!", "-bad-.example."])
def test_bad_relay_values(bad):
    with pytest.raises(InputError):
        parse_trusted_relays([bad])


def test_envelope_from_from_received_when_no_return_path():
    raw = CHAIN.replace(b"Return-Path: <bounce@sender.example>\n", b"").replace(
        b"with LMTP;", b"with LMTP (envelope-from <env@sender.example>);")
    b = find_boundary(parse_message(raw), trusted_authserv_ids=["filter.provider.example"])
    assert b.mail_from == "env@sender.example"
