"""rspamd multimap rules (``local.d/multimap.conf``, UCL syntax) with embedded maps.

A rule is a UCL object with ``type`` and ``map``.  Sender rules are
``type = "from"`` (``extract_from`` mime/smtp), ``type = "header"`` on
From/Sender, and ``selector`` rules that read ``from``.  A rule is an allow
list when ``action = "accept"`` (or ``"no action"``) or its ``score`` is
negative; it is authenticated when ``require_symbols`` requires
``DMARC_POLICY_ALLOW``, ``R_DKIM_ALLOW`` or ``R_SPF_ALLOW``.  ``filter``
selects what is compared (``email:addr``, ``email:domain``,
``email:domain:tld`` = the registrable domain, ``email:user``); with
``regexp = true`` entries are regular expressions.  A ``map`` that names a
file or URL is noted (run ``mailwarden allowlist`` on that file too); it is
never read.  UCL comments: ``#``, ``//``, ``/* */``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.formats.tokens import ParseStop as _Stop
from mailwarden.allowlist.formats.tokens import TokenStream
from mailwarden.allowlist.patterns import PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

MAX_DEPTH = 64
_PUNCT = set("{}[]=:;,")
_AUTH_SYMBOLS = ("DMARC_POLICY_ALLOW", "R_DKIM_ALLOW", "R_SPF_ALLOW")
_REGEX_ENTRY = re.compile(r"^/(.+)/([imsxurOL]*)$")
_ALLOW_NAME = re.compile(r"white|welcome|allow|trust|safe", re.I)


@dataclass
class _Scalar:
    value: str
    line: int
    quoted: bool


@dataclass
class _Array:
    items: list = field(default_factory=list)
    line: int = 0


@dataclass
class _Object:
    pairs: list = field(default_factory=list)  # (key lower, key as written, value, line)
    line: int = 0

    def get(self, key: str):
        for k, _, v, _ in self.pairs:
            if k == key:
                return v
        return None

    def text(self, key: str) -> str | None:
        v = self.get(key)
        return v.value if isinstance(v, _Scalar) else None


def _tokens(lines: list[str], out: Collector):
    """Yield (kind, value, line) tokens; kinds: str, word, or a punctuation character."""
    text = "\n".join(lines)
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise _Stop(line, "unterminated /* comment")
            line += text.count("\n", i, j)
            i = j + 2
        elif c in "\"'":
            start = line
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\n":
                    raise _Stop(start, "unterminated string")
                if text[j] == "\\" and j + 1 < n and c == '"':
                    j += 1
                    buf.append({"n": "\n", "t": "\t"}.get(text[j], text[j]))
                else:
                    buf.append(text[j])
                j += 1
            if j >= n:
                raise _Stop(start, "unterminated string")
            yield ("str", "".join(buf), start)
            i = j + 1
        elif text.startswith("<<", i):
            m = re.compile(r"<<([A-Z][A-Z0-9_]*)\n").match(text, i)
            if not m:
                raise _Stop(line, "malformed heredoc")
            end = text.find("\n" + m.group(1), m.end() - 1)
            if end < 0:
                raise _Stop(line, f"heredoc {m.group(1)} is not terminated")
            body = text[m.end() : end + 1]
            yield ("heredoc", [(sub, line + 1 + k) for k, sub in enumerate(body.split("\n")[:-1])], line)
            line += body.count("\n") + 1
            i = end + 1 + len(m.group(1))
        elif c == "." and (i == 0 or text[i - 1] == "\n" or text[:i].rstrip(" \t").endswith("\n")):
            j = text.find("\n", i)  # .include / .priority macros
            out.note(f"line {line}: UCL macro not followed ({text[i : j if j > 0 else n][:60]})")
            i = n if j < 0 else j
        elif c in _PUNCT:
            yield (c, c, line)
            i += 1
        else:
            j = i
            while (
                j < n
                and text[j] not in " \t\r\n\f\v\"'#"
                and (text[j] not in _PUNCT or text[j - 1 : j + 1] == "${")
            ):
                if text.startswith("${", j):
                    k = text.find("}", j)
                    j = n if k < 0 else k + 1
                    continue
                j += 1
            if j == i:
                raise _Stop(line, f"unexpected character {c!r}")
            yield ("word", text[i:j], line)
            i = j


class _Parser(TokenStream):

    def object(self, closing: str | None, line: int, into: _Object | None = None) -> _Object:
        obj = into if into is not None else _Object(line=line)
        while not self.block_ends(closing, line):
            kind, value, ln = self.peek()
            if kind in (";", ","):
                self.next()
                continue
            if kind not in ("str", "word"):
                raise _Stop(ln, f"expected a key, found {value!r}")
            self.next()
            if self.peek()[0] in ("=", ":"):
                self.next()
            val = self.value()
            obj.pairs.append((value.lower(), value, val, ln))
        return obj

    def value(self):
        kind, value, ln = self.next()
        if kind == "{":
            return self.nested(lambda: self.object("}", ln))
        if kind == "[":
            return self.nested(lambda: self.array(ln))
        if kind == "heredoc":  # an embedded map: one entry per line
            return _Array([_Scalar(text, at, True) for text, at in value], ln)
        if kind in ("str", "word"):
            if self.peek()[0] == "{":  # key "name" { ... }
                _, _, l2 = self.next()
                inner = self.nested(lambda: self.object("}", l2))
                return _Object([(value.lower(), value, inner, ln)], ln)
            return _Scalar(value, ln, kind == "str")
        raise _Stop(ln, f"expected a value, found {value!r}")

    def array(self, line: int) -> _Array:
        arr = _Array(line=line)
        while not self.block_ends("]", line):
            if self.peek()[0] == ",":
                self.next()
                continue
            arr.items.append(self.value())
        return arr

    def nested(self, fn):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(self.peek()[2], f"nested deeper than {MAX_DEPTH} levels")
        try:
            return fn()
        finally:
            self.depth -= 1


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse rspamd multimap configuration (see the module docstring)."""
    out = Collector(keep)
    for no, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            out.problem(no, raw, f"line longer than {MAX_LINE} characters")
            return out.result("rspamd", len(lines))
    root = _Object(line=1)
    try:
        _Parser(_tokens(lines, out)).object(None, 1, into=root)
    except _Stop as stop:
        out.problem(stop.line, lines[stop.line - 1] if 0 < stop.line <= len(lines) else "", stop.reason)
        out.note(f"syntax error at line {stop.line}: only the complete rules before it were analysed")
    _walk(out, root, "", 0)
    return out.result("rspamd", len(lines))


def _walk(out: Collector, obj: _Object, name: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if obj.get("type") is not None and (obj.get("map") is not None):
        _rule(out, obj, name)
        return
    for _, written, value, _ in obj.pairs:
        if isinstance(value, _Object):
            _walk(out, value, written, depth + 1)


def _is_sender_rule(obj: _Object) -> bool:
    kind = (obj.text("type") or "").lower()
    if kind == "from":
        return True
    if kind == "header":
        return (obj.text("header") or "").lower() in ("from", "sender")
    if kind == "selector":
        return bool(re.match(r"^\s*from\b", obj.text("selector") or "", re.I))
    return False


def _rule_action(obj: _Object, name: str) -> str | None:
    action = (obj.text("action") or "").lower().replace("_", " ")
    if action in ("accept", "no action"):
        return kinds.ALLOW
    if action:
        return kinds.BLOCK
    score = obj.text("score")
    if score is not None:
        try:
            value = float(score)
        except ValueError:
            return None
        return kinds.ALLOW if value < 0 else kinds.BLOCK if value > 0 else None
    return kinds.ALLOW if _ALLOW_NAME.search(name) else None


def _requires_auth(obj: _Object) -> str:
    req = obj.get("require_symbols")
    texts = []
    if isinstance(req, _Scalar):
        texts = [req.value]
    elif isinstance(req, _Array):
        texts = [v.value for v in req.items if isinstance(v, _Scalar)]
    for t in texts:
        for sym in _AUTH_SYMBOLS:
            for m in re.finditer(re.escape(sym), t):
                if not t[: m.start()].rstrip().endswith("!"):
                    return sym
    return ""


def _rule(out: Collector, obj: _Object, name: str) -> None:
    if not _is_sender_rule(obj):
        return
    action = _rule_action(obj, name)
    if action is None:
        return
    auth_symbol = _requires_auth(obj)
    filt = (obj.text("filter") or "").lower()
    regexp = (obj.text("regexp") or "").lower() in ("true", "yes", "on", "1")
    bare = kinds.DOMAIN_TREE if filt.startswith("email:domain:tld") else kinds.DOMAIN
    mapv = obj.get("map")
    items = mapv.items if isinstance(mapv, _Array) else [mapv]
    for item in items:
        if not isinstance(item, _Scalar):
            out.problem(getattr(item, "line", obj.line), "", f"rule {name}: map item is not a string")
            continue
        _map_item(out, item, name, action, auth_symbol, filt, regexp, bare)


def _map_item(
    out: Collector,
    item: _Scalar,
    name: str,
    action: str,
    auth_symbol: str,
    filt: str,
    regexp: bool,
    bare: str,
) -> None:
    value = item.value.strip()
    if not value or value.startswith("#"):
        return
    condition = f"require_symbols:{auth_symbol}" if auth_symbol else ""
    common = dict(
        action=action,
        authenticated=bool(auth_symbol),
        auth_available=True,
        directive=name,
        condition=condition,
    )
    if re.match(r"^(?:file|https?|cdb|redis)://|^\$\{|^/[^/]+/[^/]+/", value) and not (
        regexp and _REGEX_ENTRY.match(value)
    ):
        out.add(r.Entry(item.line, value, kinds.EXTERNAL, value, source=value, **common))
        out.note(
            f"rule {name} (line {item.line}) loads {value}: check that file with mailwarden allowlist too"
        )
        return
    token = value.split("#", 1)[0].split()[0]
    m = _REGEX_ENTRY.match(token)
    if regexp or m:
        source = m.group(1) if m else token
        out.add(r.Entry(item.line, token, kinds.REGEX, source, source=value, **common))
        return
    if filt.startswith("email:user") and "@" not in token:
        token = token + "@"
    try:
        kind, pattern = classify_token(token, bare=bare)
    except PatternError as exc:
        out.problem(item.line, value, f"rule {name}: {exc}")
        return
    out.add(r.Entry(item.line, token, kind, pattern, source=value, **common))
