"""The shared block-end rule of the rspamd (UCL) and Sieve parsers (formats/tokens.py)."""

from __future__ import annotations

import pytest

from mailwarden.allowlist.formats import rspamd, sieve
from mailwarden.allowlist.formats.tokens import ParseStop, TokenStream


@pytest.mark.parametrize(("module", "text", "line", "reason"), [
    (rspamd, "a {\n b = 1;\n", 1, "'{' is never closed"),  # reported where the block opened
    (rspamd, 'a = [\n "x",\n', 1, "'[' is never closed"),
    (sieve, "if true {\n keep;\n", 2, "'{' is never closed"),  # reported at the last line read
    (rspamd, "a = 1; }\n", 1, "expected a key, found '}'"),
    (sieve, "keep; }\n", 1, "expected a command, found '}'"),
])
def test_unbalanced_blocks_are_named_with_their_line(module, text, line, reason) -> None:
    parsed = module.parse(text.splitlines())
    assert [(p.line, p.reason) for p in parsed.problems] == [(line, reason)]


def test_block_ends_consumes_the_closing_token_only() -> None:
    stream = TokenStream([("word", "a", 1), ("}", "}", 2), ("word", "b", 3)])
    assert not stream.block_ends("}")
    stream.next()
    assert stream.block_ends("}")
    assert stream.peek() == ("word", "b", 3)
    stream.next()
    assert stream.block_ends(None)  # end of input at the top level
    with pytest.raises(ParseStop) as stop:
        stream.block_ends("]", opened_at=7)
    assert (stop.value.line, stop.value.reason) == (7, "'[' is never closed")
