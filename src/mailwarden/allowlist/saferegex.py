"""Bounded regular-expression matching for untrusted allow-list regexes.

rspamd regexp maps, Sieve ``:regex`` (draft-ietf-sieve-regex) and Postfix
regexp/pcre tables hold regular expressions written by whoever edited the
file.  Python's backtracking ``re`` can take exponential time on patterns such
as ``(a+)+$``, so they are compiled here into a Thompson NFA and simulated
with a state set: time is O(len(pattern) * len(text)), memory O(len(pattern)),
for every input.  Matching is case-insensitive and unanchored (``search``),
which over-approximates what an allow list lets in; constructs that an NFA
cannot express (back-references, look-around) raise :class:`RegexUnsupported`
and the caller falls back to analysing the pattern as text.
"""

from __future__ import annotations

from mailwarden.errors import MailwardenError

#: Hard limits: pattern length, automaton size, group nesting, repetition count.
MAX_SOURCE = 2048
MAX_STATES = 20000
MAX_DEPTH = 64
MAX_REPEAT = 256

_CHAR, _SPLIT, _BOL, _EOL, _MATCH = range(5)


class RegexUnsupported(MailwardenError):
    """The pattern is too large or uses a construct the safe matcher does not support."""


class _Class:
    """A character predicate: ranges, named classes and negation, compared case-insensitively."""

    __slots__ = ("any", "named", "neg", "ranges")

    def __init__(self, ranges=(), named=(), neg=False, any_char=False):
        self.ranges = tuple(ranges)
        self.named = tuple(named)
        self.neg = neg
        self.any = any_char

    def test(self, c: str) -> bool:
        if self.any:
            return c != "\n"
        hit = self._hit(c) or self._hit(c.upper()) or self._hit(c.lower())
        return hit != self.neg

    def _hit(self, c: str) -> bool:
        for lo, hi in self.ranges:
            if lo <= c <= hi:
                return True
        return any(_NAMED[name](c) for name in self.named)


_NAMED = {
    "d": str.isdigit,
    "D": lambda c: not c.isdigit(),
    "w": lambda c: c.isalnum() or c == "_",
    "W": lambda c: not (c.isalnum() or c == "_"),
    "s": str.isspace,
    "S": lambda c: not c.isspace(),
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "e": "\x1b", "0": "\0"}


class _Parser:
    """Recursive descent over PCRE/ERE syntax into a small AST of tuples."""

    def __init__(self, src: str) -> None:
        self.s = src
        self.i = 0
        self.depth = 0

    def parse(self):
        node = self.alt()
        if self.i != len(self.s):
            raise RegexUnsupported(f"unbalanced ')' at offset {self.i}")
        return node

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def alt(self):
        branches = [self.cat()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.cat())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def cat(self):
        items = []
        while self.i < len(self.s) and self.peek() not in "|)":
            atom = self.atom()
            if atom is not None:
                items.append(self.quantified(atom))
        return ("cat", items)

    def quantified(self, atom):
        while True:
            c = self.peek()
            if c in ("*", "+", "?"):
                self.i += 1
                lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            elif c == "{" and self._brace_ahead():
                lo, hi = self.braces()
            else:
                return atom
            if self.peek() == "?":
                self.i += 1  # lazy: same language for a yes/no search
            elif self.peek() == "+":
                raise RegexUnsupported("possessive quantifier")
            atom = ("rep", atom, lo, hi)

    def _brace_ahead(self) -> bool:
        j = self.s.find("}", self.i)
        body = self.s[self.i + 1 : j] if j > 0 else ""
        return bool(body) and all(ch.isdigit() or ch == "," for ch in body) and body[0].isdigit()

    def braces(self):
        j = self.s.index("}", self.i)
        body = self.s[self.i + 1 : j]
        self.i = j + 1
        lo_s, comma, hi_s = body.partition(",")
        lo = int(lo_s)
        hi = (int(hi_s) if hi_s else None) if comma else lo
        if lo > MAX_REPEAT or (hi is not None and (hi > MAX_REPEAT or hi < lo)):
            raise RegexUnsupported(f"repetition {{{body}}} out of bounds")
        return lo, hi

    def atom(self):
        c = self.s[self.i]
        self.i += 1
        if c == "(":
            return self.group()
        if c == "[":
            return ("chr", self.klass())
        if c == ".":
            return ("chr", _Class(any_char=True))
        if c == "^":
            return ("bol",)
        if c == "$":
            return ("eol",)
        if c == "\\":
            return self.escape()
        if c in "*+?":
            raise RegexUnsupported(f"nothing to repeat at offset {self.i - 1}")
        return ("chr", _Class(ranges=[(c, c)]))

    def group(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RegexUnsupported("groups nested too deeply")
        if self.peek() == "?":
            rest = self.s[self.i + 1 : self.i + 3]
            if rest[:1] == ":":
                self.i += 2
            elif rest[:1] in ("P", "<") and rest not in ("<=", "<!"):
                j = self.s.find(">", self.i)
                if j < 0:
                    raise RegexUnsupported("unterminated group name")
                self.i = j + 1
            elif rest[:1] and rest[:1] in "imsxu-":
                j = self.i + 1
                while j < len(self.s) and self.s[j] in "imsxu-":
                    j += 1
                if j < len(self.s) and self.s[j] == ")":
                    self.i = j + 1
                    self.depth -= 1
                    return None  # inline flags: matching is case-insensitive anyway
                if j < len(self.s) and self.s[j] == ":":
                    self.i = j + 1
                else:
                    raise RegexUnsupported("unsupported inline flag group")
            else:
                raise RegexUnsupported("look-around or other extension group")
        node = self.alt()
        if self.peek() != ")":
            raise RegexUnsupported("missing ')'")
        self.i += 1
        self.depth -= 1
        return node

    def escape(self):
        if self.i >= len(self.s):
            raise RegexUnsupported("trailing backslash")
        c = self.s[self.i]
        self.i += 1
        if c in _NAMED:
            return ("chr", _Class(named=[c]))
        if c in ("A",):
            return ("bol",)
        if c in ("z", "Z"):
            return ("eol",)
        if c.isdigit() and c != "0":
            raise RegexUnsupported("back-reference")
        if c in ("b", "B", "G", "K", "p", "P", "x", "u", "Q", "E", "k", "g"):
            raise RegexUnsupported(f"escape \\{c}")
        ch = _ESCAPES.get(c, c)
        return ("chr", _Class(ranges=[(ch, ch)]))

    def klass(self) -> _Class:
        neg = False
        if self.peek() == "^":
            neg = True
            self.i += 1
        ranges, named = [], []
        first = True
        while True:
            if self.i >= len(self.s):
                raise RegexUnsupported("missing ']'")
            c = self.s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            self.i += 1
            if c == "[" and self.peek() == ":":
                raise RegexUnsupported("POSIX character class")
            if c == "\\" and self.i < len(self.s):
                e = self.s[self.i]
                self.i += 1
                if e in _NAMED:
                    named.append(e)
                    continue
                c = _ESCAPES.get(e, e)
            if self.peek() == "-" and self.i + 1 < len(self.s) and self.s[self.i + 1] != "]":
                self.i += 1
                hi = self.s[self.i]
                self.i += 1
                if hi == "\\" and self.i < len(self.s):
                    hi = _ESCAPES.get(self.s[self.i], self.s[self.i])
                    self.i += 1
                if hi < c:
                    raise RegexUnsupported("reversed character range")
                ranges.append((c, hi))
            else:
                ranges.append((c, c))
        return _Class(ranges, named, neg)


class SafeRegex:
    """A compiled pattern; :meth:`search` is a state-set simulation (no backtracking)."""

    __slots__ = ("source", "start", "states")

    def __init__(self, source: str) -> None:
        if len(source) > MAX_SOURCE:
            raise RegexUnsupported(f"pattern longer than {MAX_SOURCE} characters")
        self.source = source
        self.states: list[list] = []
        match = self._new(_MATCH, None, -1, -1)
        self.start = self._compile(_Parser(source).parse(), match)

    def _new(self, kind, arg, out1, out2) -> int:
        if len(self.states) >= MAX_STATES:
            raise RegexUnsupported("pattern too large for the safe matcher")
        self.states.append([kind, arg, out1, out2])
        return len(self.states) - 1

    def _compile(self, node, nxt: int) -> int:
        if node is None:
            return nxt
        tag = node[0]
        if tag == "chr":
            return self._new(_CHAR, node[1], nxt, -1)
        if tag == "bol":
            return self._new(_BOL, None, nxt, -1)
        if tag == "eol":
            return self._new(_EOL, None, nxt, -1)
        if tag == "cat":
            for item in reversed(node[1]):
                nxt = self._compile(item, nxt)
            return nxt
        if tag == "alt":
            starts = [self._compile(b, nxt) for b in node[1]]
            head = starts[-1]
            for s in reversed(starts[:-1]):
                head = self._new(_SPLIT, None, s, head)
            return head
        if tag == "rep":
            _, body, lo, hi = node
            if hi is None:
                loop = self._new(_SPLIT, None, -1, nxt)
                self.states[loop][2] = self._compile(body, loop)
                nxt = loop
            else:
                for _ in range(hi - lo):
                    nxt = self._new(_SPLIT, None, self._compile(body, nxt), nxt)
            for _ in range(lo):
                nxt = self._compile(body, nxt)
            return nxt
        raise RegexUnsupported(f"internal: unknown node {tag}")

    def search(self, text: str) -> bool:
        """True when the pattern matches anywhere in ``text``."""
        states = self.states
        n = len(text)
        mark = [-1] * len(states)
        current: list[int] = []

        def add(idx: int, pos: int, into: list[int]) -> bool:
            stack = [idx]
            while stack:
                s = stack.pop()
                if s < 0 or mark[s] == pos:
                    continue
                mark[s] = pos
                kind, _, out1, out2 = states[s]
                if kind == _MATCH:
                    return True
                if kind == _SPLIT:
                    stack.append(out2)
                    stack.append(out1)
                elif kind == _BOL:
                    if pos == 0:
                        stack.append(out1)
                elif kind == _EOL:
                    if pos == n:
                        stack.append(out1)
                else:
                    into.append(s)
            return False

        for pos in range(n + 1):
            if add(self.start, pos, current):
                return True
            if pos == n:
                break
            c = text[pos]
            nxt: list[int] = []
            for s in current:
                st = states[s]
                if st[1].test(c) and add(st[2], pos + 1, nxt):
                    return True
            current = nxt
        return False
