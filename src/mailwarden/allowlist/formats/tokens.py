"""A one-token look-ahead over ``(kind, value, line)`` tokens, shared by the
rspamd (UCL) and Sieve (RFC 5228) parsers."""

from __future__ import annotations

from collections.abc import Iterable

from mailwarden.errors import MailwardenError

Token = tuple[str, str, int]


class ParseStop(MailwardenError):
    """Parsing cannot go on at ``line``; what was parsed before it is kept."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class TokenStream:
    """``peek()`` / ``next()`` over tokens; the end is an ``("eof", "", last line)`` token."""

    def __init__(self, tokens: Iterable[Token]) -> None:
        self.it = iter(tokens)
        self.ahead: Token | None = None
        self.last_line = 1
        self.depth = 0

    def peek(self) -> Token:
        if self.ahead is None:
            try:
                self.ahead = next(self.it)
                self.last_line = self.ahead[2]
            except StopIteration:
                self.ahead = ("eof", "", self.last_line)
        return self.ahead

    def next(self) -> Token:
        tok = self.peek()
        if tok[0] != "eof":
            self.ahead = None
        return tok

    def block_ends(self, closing: str | None, opened_at: int | None = None) -> bool:
        """Whether the block being read ends here: at its ``closing`` token (consumed),
        or at the end of input when there is none (``closing`` None, the top level).
        The end of input inside a block is an error, reported at ``opened_at`` (by
        default at the last line read)."""
        kind, _, line = self.peek()
        if kind == "eof":
            if closing:
                opener = _OPENERS.get(closing, closing)
                raise ParseStop(line if opened_at is None else opened_at, f"{opener!r} is never closed")
            return True
        if kind == closing:
            self.next()
            return True
        return False


_OPENERS = {"}": "{", "]": "["}
