"""ARC header fields (RFC 8617 section 4.1): ARC-Seal, ARC-Message-Signature and
ARC-Authentication-Results, and their grouping into ARC sets (section 4.2). Pure.

Tag syntax is DKIM's (RFC 6376 section 3.2), applied strictly: duplicate tags,
invalid tag names and empty elements (``;;``) make the header invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.dkim.signature import (
    check_domain,
    decode_b64,
    header_text,
    parse_algorithm,
    parse_canonicalization,
    parse_header_list,
    parse_tags,
    parse_time,
)
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.model import Header, Message

#: RFC 8617 section 4.2.1: instance values are 1 to 50.
MAX_INSTANCE = 50
SEAL = "arc-seal"
AMS = "arc-message-signature"
AAR = "arc-authentication-results"
CV_VALUES = ("none", "pass", "fail")
_INSTANCE = re.compile(r"[0-9]{1,3}\Z")
_AAR_PREFIX = re.compile(rb"[ \t\r\n]*i[ \t\r\n]*=[ \t\r\n]*([0-9]{1,3})[ \t\r\n]*;")


def parse_instance(value: str | None) -> int:
    if value is None:
        raise RecordSyntaxError("i= is missing")
    if not _INSTANCE.match(value) or not 1 <= int(value) <= MAX_INSTANCE:
        raise RecordSyntaxError(f"i={value[:10]!r} is not an instance number 1-{MAX_INSTANCE}")
    return int(value)


@dataclass(frozen=True)
class ArcSeal:
    """An ARC-Seal (RFC 8617 section 4.1.3)."""

    header: Header
    instance: int
    algorithm: str
    key_type: str
    hash_name: str
    signature: bytes
    cv: str
    domain: str
    selector: str
    timestamp: int | None


@dataclass(frozen=True)
class ArcMessageSignature:
    """An ARC-Message-Signature (RFC 8617 section 4.1.2): a DKIM signature without v=, with i=."""

    header: Header
    instance: int
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
    timestamp: int | None


def _algorithm(value: str | None) -> tuple[str, str, str]:
    algorithm, key_type, hash_name = parse_algorithm(value)
    if hash_name == "sha1":
        raise RecordSyntaxError("a=rsa-sha1 is not allowed in ARC (RFC 8617 section 4.1.3)")
    return algorithm, key_type, hash_name


def parse_seal(header: Header) -> ArcSeal:
    """Parse one ARC-Seal; raises :class:`RecordSyntaxError`."""
    tags = parse_tags(header_text(header), strict_separators=True)
    instance = parse_instance(tags.get("i"))
    if "h" in tags:
        raise RecordSyntaxError("ARC-Seal must not have h= (RFC 8617 section 4.1.3)")
    algorithm, key_type, hash_name = _algorithm(tags.get("a"))
    signature = decode_b64(tags.get("b"), "b")
    cv = tags.get("cv")
    if cv not in CV_VALUES:
        raise RecordSyntaxError("cv= is missing" if cv is None else f"cv={cv[:20]!r} is not none, pass or fail")
    domain = check_domain(tags.get("d"), "d")
    selector = check_domain(tags.get("s"), "s")
    timestamp = parse_time(tags.get("t"), "t")
    return ArcSeal(header, instance, algorithm, key_type, hash_name, signature, cv, domain, selector, timestamp)


def parse_ams(header: Header) -> ArcMessageSignature:
    """Parse one ARC-Message-Signature; raises :class:`RecordSyntaxError`."""
    tags = parse_tags(header_text(header), strict_separators=True)
    instance = parse_instance(tags.get("i"))
    algorithm, key_type, hash_name = _algorithm(tags.get("a"))
    signature = decode_b64(tags.get("b"), "b")
    body_hash = decode_b64(tags.get("bh"), "bh")
    # Without c= the AMS is relaxed/relaxed, as the ARC test suite and mailauth read it
    # (RFC 6376's simple/simple default fails ams_fields_c_na).
    header_canon, body_canon = parse_canonicalization(tags.get("c", "relaxed/relaxed"))
    domain = check_domain(tags.get("d"), "d")
    selector = check_domain(tags.get("s"), "s")
    signed = parse_header_list(tags.get("h"), allow_empty=True)
    if SEAL in signed:
        raise RecordSyntaxError("h= includes ARC-Seal (RFC 8617 section 4.1.2)")
    timestamp = parse_time(tags.get("t"), "t")
    return ArcMessageSignature(header, instance, algorithm, key_type, hash_name, signature, body_hash,
                               header_canon, body_canon, domain, selector, signed, timestamp)


def aar_instance(header: Header) -> int:
    """The instance of an ARC-Authentication-Results: it must start with ``i=N;`` (section 4.1.1)."""
    match = _AAR_PREFIX.match(header.raw_value)
    if not match:
        raise RecordSyntaxError("ARC-Authentication-Results does not start with 'i=N;'")
    return parse_instance(match.group(1).decode("ascii"))


def aar_results(header: Header) -> str:
    """The Authentication-Results payload of an AAR (after ``i=N;``), unfolded."""
    value = header.raw_value
    match = _AAR_PREFIX.match(value)
    text = value[match.end():] if match else value
    return " ".join(text.decode("utf-8", "replace").split())


@dataclass(frozen=True)
class ArcSet:
    """The three fields of one instance (RFC 8617 section 4.2)."""

    instance: int
    aar: Header
    ams: ArcMessageSignature
    seal: ArcSeal


@dataclass(frozen=True)
class ArcStructure:
    """The message's ARC sets, oldest (i=1) first, or why they do not form a chain."""

    sets: tuple[ArcSet, ...]
    error: str | None = None
    failed_instance: int | None = None
    present: bool = False


def collect_sets(message: Message) -> ArcStructure:
    """Group ARC fields by instance and check the structure (RFC 8617 section 5.2 step 2):
    one AAR, AMS and AS per instance, instances 1..N without gaps, N <= 50."""
    seals: dict[int, ArcSeal] = {}
    sigs: dict[int, ArcMessageSignature] = {}
    aars: dict[int, Header] = {}
    present = False
    for h in message.headers:
        name = h.lname
        if name not in (SEAL, AMS, AAR):
            continue
        present = True
        try:
            if name == SEAL:
                parsed_seal = parse_seal(h)
                n, table, item = parsed_seal.instance, seals, parsed_seal
            elif name == AMS:
                parsed_ams = parse_ams(h)
                n, table, item = parsed_ams.instance, sigs, parsed_ams
            else:
                n, table, item = aar_instance(h), aars, h
        except RecordSyntaxError as exc:
            return ArcStructure((), f"invalid {h.name}: {exc}", None, True)
        if n in table:
            return ArcStructure((), f"two {h.name} fields with i={n}", n, True)
        table[n] = item  # type: ignore[index]
    if not present:
        return ArcStructure(())
    top = max([*seals, *sigs, *aars])
    sets = []
    for n in range(1, top + 1):
        missing = [name for name, table in (("ARC-Seal", seals), ("ARC-Message-Signature", sigs),
                                            ("ARC-Authentication-Results", aars)) if n not in table]
        if missing:
            return ArcStructure((), f"ARC set i={n} lacks {', '.join(missing)}", n, True)
        sets.append(ArcSet(n, aars[n], sigs[n], seals[n]))
    return ArcStructure(tuple(sets), present=True)
