"""Where ``check`` takes the SMTP envelope from when options are missing."""

from __future__ import annotations

from mailwarden.auth import envelope_from_message
from mailwarden.message import parse_message

RAW = (
    b"Return-Path: <>\r\n"
    b"Received: from mx.test (mx.test [192.0.2.1]) by mbox.test with LMTP id x; Tue, 14 Nov 2023 22:13:21 +0000\r\n"
    b"Received: from localhost (localhost [127.0.0.1]) by mx.test; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"Received: from out.example.com (out.example.com [192.0.2.7]) by mx.test; Tue, 14 Nov 2023 22:13:19 +0000\r\n"
    b"From: a@example.com\r\n\r\nx\r\n"
)


def test_boundary_hop_skips_lmtp_loopback_and_null_return_path():
    env = envelope_from_message(parse_message(RAW))
    assert (env.ip, env.helo, env.mail_from) == ("192.0.2.7", "out.example.com", "")
    assert (env.ip_source, env.helo_source, env.mail_from_source) == ("received", "received", "return-path")
    assert env.received_hop == 2


def test_options_win_and_helo_not_taken_from_another_connection():
    env = envelope_from_message(parse_message(RAW), ip="203.0.113.5", mail_from="x@y.example")
    assert (env.ip, env.helo, env.mail_from) == ("203.0.113.5", None, "x@y.example")
    assert (env.ip_source, env.helo_source, env.mail_from_source) == ("option", None, "option")
    assert env.received_hop is None


def test_nothing_in_message():
    env = envelope_from_message(parse_message(b"From: a@example.com\r\n\r\nx\r\n"))
    assert (env.ip, env.helo, env.mail_from) == (None, None, None)
