"""Sieve scripts (RFC 5228) whose rules keep or stop on a From address.

A rule is an allow list when its test looks at the sender (``address``,
``header`` or ``envelope`` on ``from``/``sender``, RFC 5228 sections 5.1, 5.7
and 5.4) and its block ends processing with ``stop`` without discarding,
rejecting or filing into a junk folder: later rules, including the one that
moves spam to Junk, never see the message.  Rules after the first spam rule
(``X-Spam-*`` headers, ``spamtest``, or filing into Junk) bypass nothing.  A
rule combined with ``allof`` and a test on ``Authentication-Results``
containing ``dmarc=pass`` (or ``dkim=pass``) is authenticated.  Comparators
(RFC 5228 section 2.7.1): ``:is``, ``:contains``, ``:matches`` (globs), and
``:regex`` (draft-ietf-sieve-regex, matched by the bounded automaton only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.formats.tokens import ParseStop as _Stop
from mailwarden.allowlist.formats.tokens import TokenStream
from mailwarden.allowlist.patterns import PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

MAX_DEPTH = 64
_JUNK = re.compile(r"junk|spam|trash|quarantine|bulk|deleted", re.I)
_SENDER_HEADERS = frozenset({"from", "sender", "resent-from"})
_AUTH_HEADERS = frozenset({"authentication-results", "arc-authentication-results"})
_AUTH_KEYS = re.compile(r"\b(dmarc|dkim)\s*=\s*pass", re.I)
_SPAM_HEADER = re.compile(r"^x-spam|^x-.*spam|^x-rspamd|^x-barracuda-spam", re.I)


@dataclass
class _Arg:
    kind: str  # str, list, tag, num
    value: object
    line: int


@dataclass
class _Test:
    name: str
    args: list[_Arg]
    tests: list[_Test]
    line: int


@dataclass
class _Command:
    name: str
    args: list[_Arg]
    tests: list[_Test]
    block: list[_Command] | None
    line: int


def _tokens(text: str):
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise _Stop(line, "unterminated /* comment")
            line += text.count("\n", i, j)
            i = j + 2
        elif c == '"':
            start, j, buf = line, i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                if text[j] == "\n":
                    line += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise _Stop(start, "unterminated string")
            yield ("str", "".join(buf), start)
            i = j + 1
        elif text.startswith("text:", i):
            start = line
            j = text.find("\n", i)
            if j < 0:
                raise _Stop(line, "text: without a body")
            end = re.compile(r"\n\.\r?(?:\n|$)").search(text, j)
            if end is None:
                raise _Stop(start, "text: block is not terminated by a '.' line")
            body = text[j + 1 : end.start() + 1]
            body = "\n".join(s[1:] if s.startswith("..") else s for s in body.split("\n"))
            line += text.count("\n", i, end.end())
            yield ("str", body, start + 1)  # the text starts on the next line
            i = end.end()
        elif c == ":":
            m = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)").match(text, i)
            if not m:
                raise _Stop(line, "':' without a tag name")
            yield ("tag", m.group(1).lower(), line)
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"\d+[KMGkmg]?").match(text, i)
            yield ("num", m.group(0), line)
            i = m.end()
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*").match(text, i)
            yield ("id", m.group(0).lower(), line)
            i = m.end()
        elif c in "[](){};,":
            yield (c, c, line)
            i += 1
        else:
            raise _Stop(line, f"unexpected character {c!r}")


class _Parser(TokenStream):

    def expect(self, kind: str):
        tok = self.next()
        if tok[0] != kind:
            raise _Stop(tok[2], f"expected {kind!r}, found {tok[1]!r}")
        return tok

    def commands(self, into: list[_Command], closing: str | None) -> list[_Command]:
        while not self.block_ends(closing):
            into.append(self.command())
        return into

    def command(self) -> _Command:
        kind, name, line = self.next()
        if kind != "id":
            raise _Stop(line, f"expected a command, found {name!r}")
        args = self.arguments()
        tests = self.optional_tests()
        kind, value, l2 = self.next()
        if kind == ";":
            return _Command(name, args, tests, None, line)
        if kind == "{":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Stop(l2, f"blocks nested deeper than {MAX_DEPTH} levels")
            block = self.commands([], "}")
            self.depth -= 1
            return _Command(name, args, tests, block, line)
        raise _Stop(l2, f"expected ';' or a block after {name}, found {value!r}")

    def arguments(self) -> list[_Arg]:
        args = []
        while True:
            kind, value, line = self.peek()
            if kind in ("str", "tag", "num"):
                self.next()
                args.append(_Arg(kind, value, line))
            elif kind == "[":
                self.next()
                items = []
                while True:
                    k, v, ln = self.next()
                    if k != "str":
                        raise _Stop(ln, f"expected a string in the list, found {v!r}")
                    items.append((v, ln))
                    k2, v2, ln2 = self.next()
                    if k2 == "]":
                        break
                    if k2 != ",":
                        raise _Stop(ln2, f"expected ',' or ']', found {v2!r}")
                args.append(_Arg("list", items, line))
            else:
                return args

    def test_list(self) -> list[_Test]:
        self.expect("(")
        tests = [self.test()]
        while True:
            kind, value, line = self.next()
            if kind == ")":
                return tests
            if kind != ",":
                raise _Stop(line, f"expected ',' or ')', found {value!r}")
            tests.append(self.test())

    def optional_tests(self) -> list[_Test]:
        """The test-list ``( ... )`` or the single test that may follow the arguments (RFC 5228 section 8.2)."""
        if self.peek()[0] == "(":
            return self.test_list()
        if self.peek()[0] == "id":
            return [self.test()]
        return []

    def test(self) -> _Test:
        kind, name, line = self.next()
        if kind != "id":
            raise _Stop(line, f"expected a test, found {name!r}")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(line, f"tests nested deeper than {MAX_DEPTH} levels")
        args = self.arguments()
        tests = self.optional_tests()
        self.depth -= 1
        return _Test(name, args, tests, line)


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse a Sieve script (see the module docstring)."""
    out = Collector(keep)
    for no, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            out.problem(no, raw, f"line longer than {MAX_LINE} characters")
            return out.result("sieve", len(lines))
    program: list[_Command] = []
    try:
        _Parser(_tokens("\n".join(lines))).commands(program, None)
    except _Stop as stop:
        out.problem(stop.line, lines[stop.line - 1] if 0 < stop.line <= len(lines) else "", stop.reason)
        out.note(f"syntax error at line {stop.line}: only the complete rules before it were analysed")
    _Analyser(out).block(program, 0)
    return out.result("sieve", len(lines))


def _strings(arg: _Arg) -> list[tuple[str, int]]:
    if arg.kind == "str":
        return [(str(arg.value), arg.line)]
    if arg.kind == "list":
        return list(arg.value)  # type: ignore[arg-type]
    return []


class _Analyser:
    def __init__(self, out: Collector) -> None:
        self.out = out
        self.spam_seen = False

    def block(self, commands: list[_Command], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for cmd in commands:
            if cmd.name in ("if", "elsif", "else"):
                self.branch(cmd, depth)
            elif cmd.name == "fileinto" and any(_JUNK.search(s) for a in cmd.args for s, _ in _strings(a)):
                self.spam_seen = True

    def branch(self, cmd: _Command, depth: int) -> None:
        block = cmd.block or []
        is_spam_rule = any(self._spam_test(t) for t in cmd.tests) or self._files_junk(block)
        verdict = self._block_verdict(block)
        if verdict and not (verdict == kinds.ALLOW and self.spam_seen):
            for test in cmd.tests:
                self.sender_tests(test, verdict, authenticated=False)
        self.block(block, depth + 1)
        if is_spam_rule:
            self.spam_seen = True

    def _spam_test(self, test: _Test) -> bool:
        if test.name in ("spamtest", "virustest"):
            return True
        if test.name in ("header", "exists"):
            first = next((a for a in test.args if a.kind in ("str", "list")), None)
            if first is not None and any(_SPAM_HEADER.search(h.strip()) for h, _ in _strings(first)):
                return True
        return any(self._spam_test(t) for t in test.tests)

    def _files_junk(self, block: list[_Command]) -> bool:
        for c in block:
            if c.name == "fileinto" and any(_JUNK.search(s) for a in c.args for s, _ in _strings(a)):
                return True
        return False

    def _block_verdict(self, block: list[_Command]) -> str | None:
        names = set()
        stack = list(block)
        while stack:
            c = stack.pop()
            names.add(c.name)
            if c.block:
                stack.extend(c.block)
        if names & {"discard", "reject", "ereject"} or self._files_junk(block):
            return kinds.BLOCK
        if "stop" in names:
            return kinds.ALLOW
        return None

    def sender_tests(self, test: _Test, verdict: str, authenticated: bool) -> None:
        if test.name == "not":
            return
        if test.name == "allof":
            auth = authenticated or any(self._auth_test(t) for t in test.tests)
            for t in test.tests:
                self.sender_tests(t, verdict, auth)
            return
        if test.name == "anyof":
            for t in test.tests:
                self.sender_tests(t, verdict, authenticated)
            return
        if test.name in ("address", "header", "envelope"):
            self.sender_test(test, verdict, authenticated)

    def _auth_test(self, test: _Test) -> bool:
        if test.name != "header":
            return False
        lists = [a for a in test.args if a.kind in ("str", "list")]
        if len(lists) < 2:
            return False
        heads = {h.lower() for h, _ in _strings(lists[0])}
        return bool(heads & _AUTH_HEADERS) and any(_AUTH_KEYS.search(k) for k, _ in _strings(lists[1]))

    def sender_test(self, test: _Test, verdict: str, authenticated: bool) -> None:
        tags = [a.value for a in test.args if a.kind == "tag"]
        lists = [a for a in test.args if a.kind in ("str", "list")]
        if len(lists) < 2:
            self.out.problem(test.line, "", f"{test.name} test needs a header list and a key list")
            return
        heads = [h.lower() for h, _ in _strings(lists[-2])]
        if test.name == "envelope":
            if "from" not in heads:
                return
        elif not set(heads) & _SENDER_HEADERS:
            return
        match = next((t for t in tags if t in ("is", "contains", "matches", "regex", "value", "count")), "is")
        part = next((t for t in tags if t in ("all", "localpart", "domain", "user", "detail")), "all")
        if match in ("value", "count"):
            return
        if test.name == "header":
            part = "header"
        head_text = " ".join(f'"{h}"' for h, _ in _strings(lists[-2]))
        tag_text = "".join(f":{t} " for t in tags if t not in ("comparator",))
        for key, line in _strings(lists[-1]):
            self.entry(test.name, tag_text, head_text, key, line, match, part, verdict, authenticated)

    def entry(
        self,
        name: str,
        tag_text: str,
        head_text: str,
        key: str,
        line: int,
        match: str,
        part: str,
        verdict: str,
        authenticated: bool,
    ) -> None:
        test_text = f'{name} {tag_text}{head_text} "{key}"'
        common = dict(
            action=verdict,
            authenticated=authenticated,
            auth_available=True,
            directive=name,
            condition="dmarc=pass" if authenticated else "",
            source=test_text,
        )
        if match == "regex":
            src = key
            if part == "domain" and src.startswith("^"):
                src = "@" + src[1:]
            elif part in ("localpart", "user") and src.endswith("$"):
                src = src[:-1] + "@"
            self.out.add(r.Entry(line, key, kinds.REGEX, src, **common))
            return
        token = key.strip()
        if not token:
            self.out.problem(line, key, "empty key")
            return
        if match == "contains" or part == "header":
            # :contains is a substring test; header :is/:matches compare the whole header text
            glob = token if match == "matches" else _literal_glob(token)
            pattern = f"*{glob}*" if match == "contains" else glob
            self.out.add(r.Entry(line, key, kinds.WILDCARD, pattern.lower(), **common))
            return
        if part == "domain":
            token = "*@" + token if match != "matches" or "@" not in token else token
        elif part in ("localpart", "user"):
            token = token + "@"
        try:
            kind, pattern = classify_token(token, bare=kinds.DOMAIN)
        except PatternError as exc:
            self.out.problem(line, key, str(exc))
            return
        self.out.add(r.Entry(line, key, kind, pattern, **common))


def _literal_glob(text: str) -> str:
    """A literal as a glob: '*' and '?' (never in a real address) become the one-character wildcard."""
    return text.replace("*", "?").lower()
