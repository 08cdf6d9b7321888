"""DMARC policy records (RFC 9989 section 4.7, RFC 7489 section 6.3), parsed purely.

``parse_dmarc_record`` never raises: a record is a result with named
``errors`` (the tag-list itself is broken: a tag without ``=``, a duplicate
tag, a bad tag name; the record is unusable, which evaluation reports as
``permerror``) and ``warnings`` (a value that is invalid and falls back to the
default, a tag that is obsolete in RFC 9989, an invalid report URI).

Tag names are matched case-insensitively, values of keyword tags too.
Unknown tags are ignored (RFC 9989 section 4.7) and listed in ``unknown_tags``.

Missing or invalid ``p``:

* RFC 9989: a record without ``p`` is treated as ``p=none``;
* both modes, RFC 7489 section 6.6.3 step 6 for an invalid ``p`` (and, in
  RFC 7489 mode, a missing one): with at least one valid ``rua`` URI act as
  if ``p=none``; otherwise no DMARC processing for this message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.cache import memo

POLICIES = ("none", "quarantine", "reject")
MODES = ("rfc9989", "rfc7489")
#: Records longer than this are not parsed further (the tag-list is cut and a warning given).
MAX_RECORD_LENGTH = 8192

_VERSION = re.compile(r"\s*v\s*=\s*DMARC1\s*(?:;|\Z)")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_MAILTO = re.compile(r"mailto:([^@\s!,]+@[^@\s!,]+?)(?:!\d+[kmgt]?)?\Z", re.I)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
_KNOWN_TAGS = frozenset({"v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "rua", "ruf", "fo", "pct", "rf", "ri"})
_OBSOLETE_IN_9989 = frozenset({"pct", "rf", "ri"})


@dataclass(frozen=True)
class RecordIssue:
    """One problem in a record: the tag it concerns (``None`` for the whole record) and what is wrong."""

    tag: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.tag}: {self.message}" if self.tag else self.message


@dataclass(frozen=True)
class DMARCRecord:
    """A parsed DMARC record. Values are the effective ones (defaults filled in)."""

    text: str
    tags: tuple[tuple[str, str], ...]
    p: str | None  # None: absent or invalid (see p_invalid)
    sp: str | None
    np: str | None
    psd: str  # "y", "n" or "u" (RFC 9989 section 4.7)
    t: bool  # testing mode (RFC 9989 section 4.7)
    adkim: str  # "r" or "s"
    aspf: str
    rua: tuple[str, ...]  # the syntactically valid URIs only
    ruf: tuple[str, ...]
    fo: tuple[str, ...]
    pct: int  # RFC 7489 only
    rf: tuple[str, ...]  # RFC 7489 only
    ri: int  # RFC 7489 only
    p_invalid: bool = False
    unknown_tags: tuple[str, ...] = ()
    errors: tuple[RecordIssue, ...] = ()
    warnings: tuple[RecordIssue, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the tag-list is well formed (the record can be used at all)."""
        return not self.errors

    def has_tag(self, name: str) -> bool:
        return any(key == name for key, _ in self.tags)

    def effective_p(self, mode: str = "rfc9989") -> str | None:
        """The domain policy in force, or ``None`` when this record calls for no DMARC
        processing (invalid/missing ``p`` without a valid ``rua``; RFC 7489 section 6.6.3)."""
        if not self.valid:
            return None
        if self.p is not None:
            return self.p
        if not self.p_invalid and mode == "rfc9989":
            return "none"  # RFC 9989: a record without p is treated as p=none
        return "none" if self.rua else None

    def error_text(self) -> str:
        return "; ".join(str(e) for e in self.errors)


def is_dmarc_record(text: str) -> bool:
    """True when the TXT record starts with ``v=DMARC1`` (others are discarded, RFC 9989 section 4.10)."""
    return bool(_VERSION.match(text))


@memo(1024)
def parse_dmarc_record(text: str) -> DMARCRecord:
    """Parse one DMARC TXT record (cached: records repeat across messages)."""
    errors: list[RecordIssue] = []
    warnings: list[RecordIssue] = []
    body = text
    if len(body) > MAX_RECORD_LENGTH:
        warnings.append(RecordIssue(None, f"record longer than {MAX_RECORD_LENGTH} characters: the rest was ignored"))
        body = body[:MAX_RECORD_LENGTH]
    tags: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in body.split(";"):
        stripped = part.strip(" \t\r\n")
        if not stripped:
            continue
        if "=" not in stripped:
            errors.append(RecordIssue(None, f"missing tag or value: {stripped[:60]!r}"))
            continue
        name, _, value = stripped.partition("=")
        name = name.strip(" \t").lower()
        if not _TAG_NAME.match(name):
            errors.append(RecordIssue(None, f"invalid tag name {name[:40]!r}"))
            continue
        if name in seen:
            errors.append(RecordIssue(name, "duplicate tag"))
            continue
        seen.add(name)
        tags.append((name, value.strip(" \t\r\n")))
    if not tags or tags[0] != ("v", "DMARC1"):
        errors.insert(0, RecordIssue("v", "the record must start with v=DMARC1"))
    values = dict(tags)

    def keyword(name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        if name not in values:
            return default
        value = values[name].lower()
        if value in allowed:
            return value
        warnings.append(RecordIssue(name, f"invalid value {values[name][:40]!r} (expected {'|'.join(allowed)})"))
        return default

    p_invalid = "p" in values and values["p"].lower() not in POLICIES
    p = keyword("p", POLICIES, None)
    sp = keyword("sp", POLICIES, None)
    np = keyword("np", POLICIES, None)
    psd = keyword("psd", ("y", "n", "u"), "u") or "u"
    t = keyword("t", ("y", "n"), "n") == "y"
    adkim = keyword("adkim", ("r", "s"), "r") or "r"
    aspf = keyword("aspf", ("r", "s"), "r") or "r"
    rua = _uris("rua", values.get("rua"), warnings)
    ruf = _uris("ruf", values.get("ruf"), warnings)
    fo = _colon_list("fo", values.get("fo"), ("0", "1", "d", "s"), ("0",), warnings)
    rf = _colon_list("rf", values.get("rf"), ("afrf",), ("afrf",), warnings)
    pct = _integer("pct", values.get("pct"), 0, 100, 100, warnings)
    ri = _integer("ri", values.get("ri"), 0, 2**32 - 1, 86400, warnings)
    for name in _OBSOLETE_IN_9989 & values.keys():
        warnings.append(RecordIssue(name, "removed in RFC 9989 (still read in RFC 7489 mode)"))
    unknown = tuple(name for name, _ in tags if name not in _KNOWN_TAGS)
    return DMARCRecord(
        text=text,
        tags=tuple(tags),
        p=p,
        sp=sp,
        np=np,
        psd=psd,
        t=t,
        adkim=adkim,
        aspf=aspf,
        rua=rua,
        ruf=ruf,
        fo=fo,
        pct=pct,
        rf=rf,
        ri=ri,
        p_invalid=p_invalid,
        unknown_tags=unknown,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _uris(name: str, value: str | None, warnings: list[RecordIssue]) -> tuple[str, ...]:
    """``dmarc-urilist`` (RFC 9989 section 4.7): comma-separated URIs; invalid ones are dropped."""
    if value is None:
        return ()
    good: list[str] = []
    for uri in value.split(",")[:100]:
        uri = uri.strip(" \t")
        if not uri:
            continue
        if uri.lower().startswith("mailto:"):
            if _MAILTO.fullmatch(uri):
                good.append(uri)
            else:
                warnings.append(RecordIssue(name, f"invalid mailto URI {uri[:80]!r}"))
        elif _URI.fullmatch(uri):
            good.append(uri)
        else:
            warnings.append(RecordIssue(name, f"invalid URI {uri[:80]!r}"))
    return tuple(good)


def _colon_list(name: str, value: str | None, allowed: tuple[str, ...], default: tuple[str, ...],
                warnings: list[RecordIssue]) -> tuple[str, ...]:
    if value is None:
        return default
    items = tuple(v.strip(" \t").lower() for v in value.split(":"))
    if items and all(item in allowed for item in items):
        return items
    warnings.append(RecordIssue(name, f"invalid value {value[:40]!r} (expected {':'.join(allowed)} items)"))
    return default


def _integer(name: str, value: str | None, low: int, high: int, default: int, warnings: list[RecordIssue]) -> int:
    if value is None:
        return default
    if value.isascii() and value.isdigit() and len(value) <= 10 and low <= int(value) <= high:
        return int(value)
    warnings.append(RecordIssue(name, f"invalid value {value[:40]!r} (expected an integer {low}..{high})"))
    return default
