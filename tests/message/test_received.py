"""Received hops from real-world MTA formats."""

from __future__ import annotations

from mailwarden.message.received import parse_received


def test_postfix_with_tls_comment_and_authenticated_sender():
    hop = parse_received(
        "from webmail.mailhost.example (webmail.mailhost.example [192.0.2.25]) "
        "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) "
        "(Authenticated sender: alice@example.com) by smtp.mailhost.example (Postfix) with ESMTPSA id 4Y2q; "
        "Mon, 09 Nov 2026 21:42:05 +0000 (UTC)"
    )
    assert hop.from_host == "webmail.mailhost.example"
    assert hop.ip == "192.0.2.25"
    assert hop.by_host == "smtp.mailhost.example"
    assert hop.protocol == "ESMTPSA"  # not "CIPHER" from the comment
    assert hop.authenticated and hop.auth_user == "alice@example.com"
    assert hop.timestamp.year == 2026


def test_exim_helo_form():
    hop = parse_received(
        "from [203.0.113.9] (helo=desktop-1) by mx.example.net with esmtp (Exim 4.96) "
        "(envelope-from <x@y.example>) id 1abc-000; Tue, 10 Nov 2026 10:00:00 +0100"
    )
    assert hop.ip == "203.0.113.9" and hop.helo == "desktop-1" and hop.protocol == "ESMTP"
    assert not hop.authenticated


def test_ipv6_and_microsoft_style():
    hop = parse_received(
        "from DM6PR.namprd.prod.outlook.com (2603:10b6:5:1::1) by BN8PR.outlook.com (2603:10b6:408::2) "
        "with Microsoft SMTP Server (version=TLS1_2) id 15.20.1; Mon, 9 Nov 2026 21:00:00 +0000"
    )
    assert hop.ip == "2603:10b6:5:1::1"
    assert hop.by_host == "bn8pr.outlook.com"


def test_ipv6_literal_and_mapped_ipv4():
    assert parse_received("from x (x [IPv6:2001:db8::1]) by y; Mon, 9 Nov 2026 21:00:00 +0000").ip == "2001:db8::1"
    assert parse_received("from x (x [::ffff:192.0.2.7]) by y").ip == "192.0.2.7"


def test_garbage_and_missing_parts():
    hop = parse_received("by mx.example id 1")
    assert hop.from_host is None and hop.ip is None and hop.timestamp is None
    hop = parse_received("from a ([999.1.1.1]) by b; not a date")
    assert hop.ip is None and hop.timestamp is None
