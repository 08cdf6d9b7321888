"""The MIME transfer decoding keeps the last bytes of padded base64 (RFC 2045 section 6.8)."""

from __future__ import annotations

import base64

import pytest

from mailwarden.bounces.mime import decode_transfer


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 57, 58, 59, 683])
def test_base64_with_padding_decodes_every_byte(size: int) -> None:
    data = bytes(range(256)) * 3
    data = data[:size]
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    assert decode_transfer(encoded, "base64") == data
