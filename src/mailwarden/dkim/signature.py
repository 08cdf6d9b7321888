"""DKIM-Signature header field parsing (RFC 6376 section 3.5), pure.

The helpers here (:func:`decode_b64`, :func:`parse_algorithm`,
:func:`parse_canonicalization`, :func:`parse_header_list`, :func:`check_domain`)
are shared with the ARC header parsers (RFC 8617 section 4.1), whose tags
reuse DKIM's syntax.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from mailwarden.cache import memo
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.model import Header
from mailwarden.message.taglist import TagList, TagListError, parse_tag_list, strip_fws

#: Signing algorithms we can evaluate: a= value -> (key type, hash name).
ALGORITHMS: dict[str, tuple[str, str]] = {
    "rsa-sha256": ("rsa", "sha256"),
    "rsa-sha1": ("rsa", "sha1"),
    "ed25519-sha256": ("ed25519", "sha256"),
}
CANONICALIZATIONS = ("simple", "relaxed")
#: A b= of a 16,384-bit RSA key is 2,731 base64 characters; anything far beyond is hostile.
MAX_B64_CHARS = 8192
#: RFC 6376 section 3.5: t= and x= are at most 12 digits.
_TIME = re.compile(r"[0-9]{1,12}\Z")
_LENGTH = re.compile(r"[0-9]{1,76}\Z")
_B64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\Z")
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+\Z")
#: A whole lower-cased h= list whose elements are all field names (':' is the only excluded printable).
_HEADER_LIST = re.compile(r"[\x21-\x7e]*\Z")
_FWS_RUN = r"[ \t\r\n]*"
_TAG_NAME = r"[A-Za-z][A-Za-z0-9_]*"
#: A whole tag-list in the common strict form (RFC 6376 section 3.2): tag=value elements separated by ';'.
_TAG_LIST = re.compile(rf"(?:{_FWS_RUN}{_TAG_NAME}{_FWS_RUN}=[^;]*;)*{_FWS_RUN}{_TAG_NAME}{_FWS_RUN}=[^;]*;?{_FWS_RUN}")
#: One element of such a list: (name, value without surrounding folding white space).
_TAG_ITEM = re.compile(
    rf"{_FWS_RUN}({_TAG_NAME}){_FWS_RUN}={_FWS_RUN}((?:[^;]*[^; \t\r\n])?){_FWS_RUN}(?:;|\Z)")
#: Pure parses of values up to this length are memoized (h=, d=, s= repeat across messages).
_MEMO_CHARS = 1024
_B_EQ = re.compile(rb"b[ \t\r\n]*=")


def decode_b64(value: str | None, tag: str) -> bytes:
    """Decode a base64 tag value with embedded folding white space (RFC 6376 section 3.5, b=/bh=)."""
    if value is not None and value.isascii():
        # fast path: what binascii's strict mode accepts, minus its excess padding, is exactly
        # what the checks below accept (and decodes the same); anything else takes them for the message
        text = value.encode("ascii").translate(None, b" \t\r\n")
        if 0 < len(text) <= MAX_B64_CHARS and not len(text) % 4 and not text.endswith(b"==="):
            try:
                return binascii.a2b_base64(text, strict_mode=True)
            except binascii.Error:
                pass
    if value is None:
        raise RecordSyntaxError(f"{tag}= is missing")
    text = strip_fws(value)
    if not text:
        raise RecordSyntaxError(f"{tag}= is empty")
    if len(text) > MAX_B64_CHARS:
        raise RecordSyntaxError(f"{tag}= is {len(text)} characters long, more than {MAX_B64_CHARS}")
    if len(text) % 4 or not _B64_TEXT.match(text):
        raise RecordSyntaxError(f"{tag}= is not valid base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RecordSyntaxError(f"{tag}= is not valid base64") from None


def parse_algorithm(value: str | None) -> tuple[str, str, str]:
    """``a=`` -> (algorithm, key type, hash name); values are case-sensitive (RFC 6376 section 3.5)."""
    if value is None:
        raise RecordSyntaxError("a= is missing")
    if value not in ALGORITHMS:
        raise RecordSyntaxError(f"unknown algorithm a={value[:40]!r}" if value else "a= is empty")
    key_type, hash_name = ALGORITHMS[value]
    return value, key_type, hash_name


def parse_canonicalization(value: str | None) -> tuple[str, str]:
    """``c=header/body``; default simple/simple, a lone value is the header one (section 3.5)."""
    if value is None:
        return "simple", "simple"
    header, _, body = value.partition("/")
    body = body or "simple"
    if header not in CANONICALIZATIONS or body not in CANONICALIZATIONS:
        raise RecordSyntaxError(f"unknown canonicalization c={value[:40]!r}" if value else "c= is empty")
    return header, body


def parse_header_list(value: str | None, *, allow_empty: bool = False) -> tuple[str, ...]:
    """``h=`` colon-separated field names, lower-cased, white space ignored (section 3.5)."""
    if value is not None and len(value) <= _MEMO_CHARS:
        return _header_list_memo(value, allow_empty)
    return _parse_header_list(value, allow_empty)


@memo(1024)
def _header_list_memo(value: str, allow_empty: bool) -> tuple[str, ...]:
    return _parse_header_list(value, allow_empty)


def _parse_header_list(value: str | None, allow_empty: bool) -> tuple[str, ...]:
    if value is None:
        raise RecordSyntaxError("h= is missing")
    text = strip_fws(value)
    if not text:
        if allow_empty:
            return ()
        raise RecordSyntaxError("h= is empty")
    # an empty element ("from::to") names no field and contributes nothing (ARC suite ams_fields_h_mis_hdr)
    text = text.lower()
    if _HEADER_LIST.match(text):  # every element a field name (or empty): no per-name check needed
        return tuple(n for n in text.split(":") if n)
    names = tuple(n for n in text.split(":") if n)
    for name in names:
        if not _FIELD_NAME.match(name):
            raise RecordSyntaxError(f"invalid header field name {name[:40]!r} in h=")
    return names


def check_domain(value: str | None, tag: str) -> str:
    """A domain name (d=, s=, i= domain part): labels of letters, digits, '-' and '_' (section 3.5)."""
    if value is not None and len(value) <= _MEMO_CHARS:
        return _domain_memo(value, tag)
    return _check_domain(value, tag)


@memo(4096)
def _domain_memo(value: str, tag: str) -> str:
    return _check_domain(value, tag)


def _check_domain(value: str | None, tag: str) -> str:
    if value is None:
        raise RecordSyntaxError(f"{tag}= is missing")
    if not value:
        raise RecordSyntaxError(f"{tag}= is empty")
    name = value.rstrip(".") if tag != "s" else value
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise RecordSyntaxError(f"{tag}={value[:60]!r} is not a valid domain name") from None
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise RecordSyntaxError(f"{tag}={value[:60]!r} is not a valid domain name")
    return name.lower()


def parse_time(value: str | None, tag: str) -> int | None:
    if value is None:
        return None
    if not _TIME.match(value):
        raise RecordSyntaxError(f"{tag}={value[:20]!r} is not a time stamp" if value else f"{tag}= is empty")
    return int(value)


def parse_tags(text: str, *, strict_separators: bool = False) -> TagList:
    """The tag-list of a signature header; ``strict_separators`` rejects empty
    elements such as ``;;`` (the ABNF of RFC 6376 section 3.2 allows only one trailing ``;``)."""
    if _TAG_LIST.fullmatch(text):
        # fast path: well-formed, no empty element but an optional trailing ';' (so the strict
        # rule holds too); one findall yields the stripped pairs. Duplicates take the general path.
        items = _TAG_ITEM.findall(text)
        if len({name for name, _ in items}) == len(items):
            return TagList(tuple(items))
    if strict_separators:
        parts = text.split(";")
        if any(not p.strip(" \t\r\n") for p in parts[:-1]):
            raise RecordSyntaxError("empty tag (extra ';')")
    try:
        return parse_tag_list(text)
    except TagListError as exc:
        raise RecordSyntaxError(str(exc)) from None


def header_text(header: Header) -> str:
    """The field's value as text for tag parsing (ASCII in practice; bytes kept as latin-1)."""
    return header.raw_value.decode("utf-8", "surrogateescape")


def strip_b_value(raw: bytes) -> bytes:
    """The raw header field with the b= value removed (section 3.7, "b= tag ... treated as empty").

    The b= tag is the first ``b[FWS]=`` with only folding white space between it and the
    previous ``;`` (or the colon). Candidates are found by a literal search; after a
    rejected one the search resumes at the next ``;``, so the work stays linear.
    """
    colon = raw.index(b":")
    start = colon + 1  # beginning of the current tag (after the colon or a ';')
    pos = start
    while True:
        match = _B_EQ.search(raw, pos)
        if match is None:
            return raw
        semi = raw.rfind(b";", pos, match.start())
        if semi >= 0:
            start = semi + 1
        if not raw[start : match.start()].strip(b" \t\r\n"):
            end = raw.find(b";", match.end())
            return raw[: match.end()] + (raw[end:] if end >= 0 else b"")
        semi = raw.find(b";", match.end())
        if semi < 0:
            return raw
        start = pos = semi + 1


@dataclass(frozen=True)
class DKIMSignature:
    """A parsed DKIM-Signature (RFC 6376 section 3.5)."""

    header: Header
    tags: TagList
    algorithm: str
    key_type: str
    hash_name: str
    signature: bytes
    body_hash: bytes
    header_canon: str
    body_canon: str
    domain: str
    selector: str
    signed_headers: tuple[str, ...]
    identity: str
    length: int | None
    timestamp: int | None
    expiration: int | None

    @property
    def b_text(self) -> str:
        """The b= value without folding white space (section 3.5). It decoded as base64,
        so it is ASCII: a bytes ``translate`` gives what :func:`strip_fws` would, faster."""
        return (self.tags.get("b") or "").encode("ascii").translate(None, b" \t\r\n").decode("ascii")

    @property
    def canonicalization(self) -> str:
        return f"{self.header_canon}/{self.body_canon}"


@dataclass(frozen=True)
class SignatureSummary:
    """What could be read from a signature that does not parse (for the result's evidence)."""

    domain: str | None
    selector: str | None
    algorithm: str | None
    b_text: str | None
    identity: str | None
    has_length: bool


def summarize(header: Header) -> SignatureSummary:
    """Best-effort d=/s=/a=/b=/i= of a signature header, never raising."""
    found: dict[str, str] = {}
    for part in header_text(header).split(";"):
        name, eq, value = part.partition("=")
        name = name.strip(" \t\r\n")
        if eq and name in ("d", "s", "a", "b", "i", "l") and name not in found:
            found[name] = value.strip(" \t\r\n")[:300]
    return SignatureSummary(
        found.get("d"), found.get("s"), found.get("a"),
        strip_fws(found["b"]) if "b" in found else None, found.get("i"), "l" in found,
    )


def parse_dkim_signature(header: Header) -> DKIMSignature:
    """Parse and check one DKIM-Signature field (RFC 6376 sections 3.5 and 6.1.1).

    Raises :class:`RecordSyntaxError` naming the problem (the verifier reports it).
    """
    tags = parse_tags(header_text(header))
    values = tags.as_dict()  # tags are unique (a duplicate is a syntax error)
    get = values.get
    version = get("v")
    if version is None:
        raise RecordSyntaxError("v= is missing")
    if version != "1":
        raise RecordSyntaxError(f"unsupported version v={version[:10]!r}")
    algorithm, key_type, hash_name = parse_algorithm(get("a"))
    signature = decode_b64(get("b"), "b")
    body_hash = decode_b64(get("bh"), "bh")
    header_canon, body_canon = parse_canonicalization(get("c"))
    domain = check_domain(get("d"), "d")
    selector = check_domain(get("s"), "s")
    signed = parse_header_list(get("h"))
    if "from" not in signed:
        raise RecordSyntaxError("h= does not include From")
    identity = get("i")
    if identity is None:
        identity = "@" + domain
    else:
        local, at, idomain = identity.rpartition("@")
        if not at:
            raise RecordSyntaxError(f"i={identity[:60]!r} has no '@'")
        idomain = check_domain(idomain, "i")
        if idomain != domain and not idomain.endswith("." + domain):
            raise RecordSyntaxError(f"i= domain {idomain!r} is not within d={domain}")
        identity = f"{local}@{idomain}"
    length = None
    if "l" in values:
        text = get("l") or ""
        if not _LENGTH.match(text):
            raise RecordSyntaxError(f"l={text[:20]!r} is not a number")
        length = int(text)
    query = get("q")
    if query is not None and "dns/txt" not in strip_fws(query).split(":"):
        raise RecordSyntaxError(f"unsupported query method q={query[:40]!r}")
    timestamp = parse_time(get("t"), "t")
    expiration = parse_time(get("x"), "x")
    if timestamp is not None and expiration is not None and expiration < timestamp:
        raise RecordSyntaxError("x= is earlier than t=")
    return DKIMSignature(
        header, tags, algorithm, key_type, hash_name, signature, body_hash, header_canon,
        body_canon, domain, selector, signed, identity, length, timestamp, expiration,
    )
