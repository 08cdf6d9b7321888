"""``--format auto``: recognise an allow-list format from its content.

Each format has strong markers (Sieve ``require``/``if address``, UCL rules
with ``type``/``map``, SpamAssassin list directives, Postfix ``KEY ACTION``
lines, a consistently delimited table); only the first lines are examined, so
detection is bounded on any input.  When nothing matches, the file is a plain
list.  A file name extension breaks ties.
"""

from __future__ import annotations

import re

_SAMPLE_LINES = 400
_SIEVE = re.compile(
    r"^\s*(?:require\s*[\[\"]|(?:if|elsif)\s+(?:address|header|envelope|allof|anyof|not|exists|true)\b"
    r"|(?:keep|stop|discard)\s*;|fileinto\s)",
    re.I,
)
_UCL_RULE = re.compile(
    r"^\s*[\w\-\"]+\s*\{\s*$|^\s*type\s*[=:]\s*\"?\w+\"?\s*;|^\s*map\s*[=:]\s*[\[\"<]", re.I
)
_SA_LIST = re.compile(r"^\s*(?:def_)?(?:un)?(?:white|welcome|black|block)list_\w+\s+\S", re.I)
_SA_OTHER = re.compile(
    r"^\s*(?:score|required_score|required_hits|report_safe|header|body|uri|rawbody|full|meta|describe|"
    r"rewrite_header|use_bayes|bayes_\w+|loadplugin|ifplugin|endif|trusted_networks|internal_networks|"
    r"add_header|lock_method|skip_rbl_checks|ok_locales|tflags)\b",
    re.I,
)
_POSTFIX = re.compile(
    r"^(?:\S+|/.*/\w*)\s+(?:OK|PERMIT|REJECT|DUNNO|DISCARD|HOLD|DEFER|FILTER|PREPEND|REDIRECT|WARN|"
    r"[45]\d\d(?:\s|$)|\d+$|permit_\w+|reject_\w+|check_\w+)",
    re.I,
)
_EXT = {".sieve": "sieve", ".siv": "sieve", ".cf": "spamassassin", ".csv": "csv", ".tsv": "csv"}


def detect_format(lines: list[str], filename: str | None = None) -> str:
    """The most likely format of ``lines``: spamassassin, postfix, rspamd, sieve, csv or plain."""
    sample = []
    for ln in lines[: _SAMPLE_LINES * 4]:
        s = ln.strip()
        if s and not s.startswith("#") and not s.startswith("//"):
            sample.append(ln[:2000])
        if len(sample) >= _SAMPLE_LINES:
            break
    hint = None
    if filename:
        low = filename.lower()
        hint = next((fmt for ext, fmt in _EXT.items() if low.endswith(ext)), None)
    if not sample:
        return hint or "plain"
    n = len(sample)
    sieve = sum(1 for s in sample if _SIEVE.match(s))
    ucl = sum(1 for s in sample if _UCL_RULE.match(s))
    sa_list = sum(1 for s in sample if _SA_LIST.match(s))
    sa_other = sum(1 for s in sample if _SA_OTHER.match(s))
    postfix = sum(1 for s in sample if _POSTFIX.match(s.strip()))
    if sieve:  # "if address ...", "require [...]", "keep;" never occur in the other formats
        return "sieve"
    if ucl >= 2 and any(re.search(r"\bmap\s*[=:]", s) for s in sample):
        return "rspamd"
    if sa_list or sa_other >= max(2, n // 3):
        return "spamassassin"
    if _is_csv(sample) and hint in (None, "csv"):
        return "csv"
    if postfix >= max(1, (n * 6) // 10):
        return "postfix"
    return hint or "plain"


def _is_csv(sample: list[str]) -> bool:
    for d in (",", ";", "\t", "|"):
        counts = [s.count(d) for s in sample]
        if not counts[0]:
            continue
        same = sum(1 for c in counts if c == counts[0])
        if same >= max(1, (len(counts) * 8) // 10) and (len(sample) > 1 or counts[0] >= 1):
            first = [c.strip().strip('"').lower() for c in sample[0].split(d)]
            header_like = all(re.match(r"^[a-z][a-z _\-]*$", c) for c in first if c)
            if header_like or counts[0] >= 2:
                return True
    return False
