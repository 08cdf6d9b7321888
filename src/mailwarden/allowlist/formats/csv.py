"""CSV exports of safe-sender / blocked-sender lists (RFC 4180, with the usual variations).

The delimiter (``,``, ``;``, tab or ``|``) and the header row are detected;
the address column is chosen by its header name (``address``, ``email``,
``sender``, ``domain``, ...) or, without a header, as the column whose cells
look most like sender patterns; an ``action``/``type``/``list`` column, when
present, separates allow rows from block rows.  Other columns (``added_by``,
comments) are never read as entries.  Quoted cells may span lines; the entry
is reported on the physical line where its row starts.  A CSV export offers
no authenticated form.
"""

from __future__ import annotations

import csv as _csv
import itertools
import re

from mailwarden.allowlist import kinds
from mailwarden.allowlist import results as r
from mailwarden.allowlist.patterns import PatternError, classify_token
from mailwarden.allowlist.text import MAX_LINE, Collector, Keep

_SAMPLE_ROWS = 200
_DELIMS = (",", ";", "\t", "|")
_ADDRESS_HEADERS = (
    "address",
    "email",
    "e-mail",
    "email address",
    "sender",
    "sender address",
    "from",
    "entry",
    "value",
    "pattern",
    "domain",
    "sender domain",
    "mail",
    "safe sender",
    "item",
)
_ACTION_HEADERS = (
    "action",
    "type",
    "list",
    "list type",
    "status",
    "policy",
    "kind",
    "category",
    "disposition",
    "verdict",
    "rule",
)
_ALLOW_WORDS = frozenset(
    [
        "allow",
        "allowed",
        "allowlist",
        "safe",
        "safe sender",
        "safelist",
        "trusted",
        "trust",
        "whitelist",
        "whitelisted",
        "welcomelist",
        "permit",
        "permitted",
        "accept",
        "ok",
        "good",
        "pass",
        "white",
        "approved",
    ]
)
_BLOCK_WORDS = frozenset(
    [
        "block",
        "blocked",
        "blocklist",
        "blacklist",
        "blacklisted",
        "deny",
        "denied",
        "reject",
        "rejected",
        "spam",
        "junk",
        "bad",
        "black",
        "quarantine",
        "banned",
        "drop",
    ]
)
_LOOKS = re.compile(r"^[<\"]?[^\s@,;]*@?[a-z0-9*?_\-]+(?:\.[a-z0-9*?_\-]+)+>?$|^@[^\s@]+$", re.I)


def _action_word(cell: str) -> str | None:
    word = cell.strip().lower().replace("_", " ").replace("-", " ")
    if word in _ALLOW_WORDS or word.replace(" ", "") in _ALLOW_WORDS:
        return kinds.ALLOW
    if word in _BLOCK_WORDS or word.replace(" ", "") in _BLOCK_WORDS:
        return kinds.BLOCK
    return None


def _delimiter(lines: list[str]) -> str:
    sample = [ln for ln in lines[:50] if ln.strip() and not ln.lstrip().startswith("#")]
    best, best_score = ",", -1.0
    for d in _DELIMS:
        counts = [ln.count(d) for ln in sample]
        if not counts or not any(counts):
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) / len(counts) + (0.01 if common else 0)
        if common and score > best_score:
            best, best_score = d, score
    return best


def _rows(lines: list[str], delimiter: str, out: Collector | None):
    """(first physical line, cells) of every non-empty, non-comment row, streamed."""
    feed = (raw + "\n" if len(raw) <= MAX_LINE else "\n" for raw in lines)
    reader = _csv.reader(feed, delimiter=delimiter, skipinitialspace=True)
    start = 1
    try:
        for row in reader:
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#"):
                yield start, row
            start = reader.line_num + 1
    except _csv.Error as exc:
        if out is not None:
            out.problem(start, lines[start - 1] if start <= len(lines) else "", f"CSV error: {exc}")
            out.note(f"CSV error at line {start}: the rows after it were not analysed")


def parse(lines: list[str], keep: Keep | None = None) -> r.ParsedAllowlist:
    """Parse a CSV export (see the module docstring)."""
    out = Collector(keep)
    for no, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            out.problem(no, raw, f"line longer than {MAX_LINE} characters")
    delimiter = _delimiter(lines)
    sample = list(itertools.islice(_rows(lines, delimiter, None), _SAMPLE_ROWS + 1))
    if not sample:
        return out.result("csv", len(lines))
    header = _header(sample[0][1])
    body_sample = sample[1:] if header else sample
    addr_col = _address_column(header, body_sample)
    act_col = _action_column(header, body_sample, addr_col)
    rows = _rows(lines, delimiter, out)
    if header:
        next(rows, None)
    for no, row in rows:
        _row(out, no, row, addr_col, act_col)
    return out.result("csv", len(lines))


def _row(out: Collector, no: int, row: list[str], addr_col: int, act_col: int | None) -> None:
    if addr_col >= len(row) or not row[addr_col].strip():
        out.problem(no, ",".join(row), "row has no value in the address column")
        return
    cell = row[addr_col].strip()
    action = kinds.ALLOW
    if act_col is not None and act_col < len(row) and row[act_col].strip():
        action = _action_word(row[act_col]) or ""
        if not action:
            out.problem(no, ",".join(row), f"unknown action {row[act_col].strip()!r}")
            return
    try:
        kind, pattern = classify_token(cell)
    except PatternError as exc:
        out.problem(no, ",".join(row), str(exc))
        return
    if out.wants(kind, pattern):
        out.store(r.Entry(no, cell, kind, pattern, action=action, directive="row"))


def _header(row: list[str]) -> list[str] | None:
    cells = [c.strip().lower() for c in row]
    if any("@" in c or _LOOKS.match(c) for c in cells):
        return None
    if any(c in _ADDRESS_HEADERS or c in _ACTION_HEADERS for c in cells):
        return cells
    return cells if all(re.match(r"^[a-z _\-]*$", c) for c in cells) and len(cells) > 1 else None


def _address_column(header: list[str] | None, body: list[tuple[int, list[str]]]) -> int:
    if header:
        for name in _ADDRESS_HEADERS:
            if name in header:
                return header.index(name)
    width = max((len(row) for _, row in body[:_SAMPLE_ROWS]), default=1)
    scores = [0] * width
    for _, row in body[:_SAMPLE_ROWS]:
        for i, cell in enumerate(row):
            if _LOOKS.match(cell.strip()):
                scores[i] += 1
    return max(range(width), key=lambda i: (scores[i], -i))


def _action_column(header: list[str] | None, body: list[tuple[int, list[str]]], addr_col: int) -> int | None:
    if header:
        for name in _ACTION_HEADERS:
            if name in header and header.index(name) != addr_col:
                return header.index(name)
    width = max((len(row) for _, row in body[:_SAMPLE_ROWS]), default=0)
    for i in range(width):
        if i == addr_col:
            continue
        cells = [row[i] for _, row in body[:_SAMPLE_ROWS] if i < len(row) and row[i].strip()]
        if cells and sum(1 for c in cells if _action_word(c)) >= max(1, len(cells) * 0.8):
            return i
    return None
