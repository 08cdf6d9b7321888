"""Splitting an mbox or digest into messages, and refusing input that is no message (message/split.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.errors import MessageError
from mailwarden.message.split import MAX_MESSAGES, check_is_message, split_messages

ONE = b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"


def test_one_message_is_one_piece():
    assert split_messages(ONE) == [ONE]


def test_mbox_separators_cut_only_before_a_header():
    box = (b"From a@b Mon Nov  9 21:42:07 2026\nFrom: a@example.com\n\nx\n\nFrom here on, text\n\n"
           b"From c@d Mon Nov  9 21:42:08 2026\nSubject: two\n\ny\n")
    pieces = split_messages(box)
    assert len(pieces) == 2
    assert b"From here on" in pieces[0] and pieces[1].startswith(b"From c@d")


def test_too_many_messages_is_an_input_error():
    box = b"".join(b"From a@b Mon Nov  9 21:42:07 2026\nSubject: %d\n\nx\n\n" % i for i in range(MAX_MESSAGES + 1))
    with pytest.raises(MessageError):
        split_messages(box)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_split_or_refuse_cleanly(data):
    try:
        check_is_message(data)
    except MessageError:
        return
    pieces = split_messages(data)
    assert len(pieces) <= MAX_MESSAGES
    assert all(isinstance(p, bytes) for p in pieces)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc: \n-F", max_size=40), max_size=20))
def test_text_mboxes_keep_every_byte_of_each_message(lines):
    data = "\n".join(["From a@b Mon Nov  9 21:42:07 2026", "Subject: s", "", *lines]).encode()
    pieces = split_messages(data)
    assert pieces and all(p.strip() for p in pieces)
