"""SPF record parsing: pure, no DNS (RFC 7208 sections 4.5, 4.6.1, 5, 6 and 12).

:func:`parse_record` turns the text of one TXT record into an :class:`SPFRecord`.
A record with a syntax error is still returned, with :attr:`SPFRecord.error`
naming the offending term: RFC 7208 section 4.6 makes any syntax error anywhere
in the record a permerror before evaluation starts.  :func:`select_record`
applies the version selection of section 4.5 to the TXT records of a name.

Parsed records are immutable and cached by text (:func:`parse_record` is an LRU
cache), so evaluating the same policy again does not re-parse it.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from typing import NamedTuple

from mailwarden.cache import memo
from mailwarden.dns.base import Record
from mailwarden.errors import RecordSyntaxError
from mailwarden.spf.macros import (
    MAX_DOMAIN,
    MacroString,
    MacroSyntaxError,
    parse_macro_string,
)

#: Mechanisms that cause DNS lookups and count against the limit of 10 (section 4.6.4).
DNS_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
#: Records longer than this are refused (a TXT record set over UDP/TCP is far smaller in practice).
MAX_RECORD_LENGTH = 65_536
#: Longer records are parsed every time rather than kept in memory (hostile policies cannot fill it).
MAX_CACHED_LENGTH = 4096

_VERSION = re.compile(r"v=spf1(?: |$)", re.IGNORECASE)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", re.DOTALL)
_MECHANISM = re.compile(r"([-+?~]?)([A-Za-z][A-Za-z0-9._-]*)(.*)", re.DOTALL)
_DUAL_CIDR = re.compile(r"(?::(.*?))?(?:/([0-9]+))?(?://([0-9]+))?", re.DOTALL)
_CIDR_NUMBER = re.compile(r"0|[1-9][0-9]{0,2}")
_IP4 = re.compile(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")
_IP6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
#: The common terms, parsed without the general machinery (same grammar, sections 5 and 12).
#: Anything else (modifiers, macros, upper case, errors) takes the general path.
#: A literal domain-spec needing no further check but the 253-character cap (sections 7.1, 7.3):
#: labels of 1-63 letters, digits, "_" or "-", a valid toplabel
#: (``*alphanum ALPHA *alphanum`` or ``1*alphanum "-" *(alphanum / "-") alphanum``), optional final dot.
_FAST_DOMAIN = (
    r"(?:[0-9A-Za-z_-]{1,63}\.)+"
    r"(?=[0-9A-Za-z-]{1,63}(?![0-9A-Za-z-]))"
    r"(?:[0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*|[0-9A-Za-z]+-[0-9A-Za-z-]*[0-9A-Za-z])\.?"
)
_FAST_DOMAIN_RE = re.compile(_FAST_DOMAIN)
_CIDR4 = r"(3[0-2]|[12]?[0-9])"
_CIDR6 = r"(12[0-8]|1[01][0-9]|[1-9]?[0-9])"
_QUALIFIER = {"+": "+", "-": "-", "~": "~", "?": "?"}
#: ip4-cidr-length / ip6-cidr-length values without leading zeros (section 12).
_CIDR4_VALUES = {str(n): n for n in range(33)}
_CIDR6_VALUES = {str(n): n for n in range(129)}
#: ip4-cidr-length / ip6-cidr-length text -> the shift that keeps the network bits (32 or 128
#: minus the prefix length), for the compact form :class:`IPRun` matches with.
_SHIFT4 = {text: 32 - n for text, n in _CIDR4_VALUES.items()}
_SHIFT6 = {text: 128 - n for text, n in _CIDR6_VALUES.items()}
#: The text before ":" of the common terms, qualifier included -> (qualifier, kind, and for
#: ip4/ip6: version, address family, prefix length text -> shift): one dictionary lookup per term.
_INLINE_TERMS = {
    q + kind: (q or "+", kind, version, family, shifts)
    for q in ("", "+", "-", "~", "?")
    for kind, version, family, shifts in (("ip4", 4, socket.AF_INET, _SHIFT4),
                                          ("ip6", 6, socket.AF_INET6, _SHIFT6),
                                          ("include", 0, 0, None), ("exists", 0, 0, None),
                                          ("all", 0, 0, None), ("a", 0, 0, None), ("mx", 0, 0, None))
}
#: a and mx with a domain or prefix lengths, without the qualifier.
_FAST_A_MX = re.compile(r"(a|mx)(?::(" + _FAST_DOMAIN + r"))?(?:/" + _CIDR4 + r")?(?://" + _CIDR6 + r")?")
_new_tuple = tuple.__new__
_from_bytes = int.from_bytes
_inet_pton = socket.inet_pton
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_TOPLABEL = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]")


class Mechanism(NamedTuple):
    """One directive: qualifier, mechanism name and its arguments (RFC 7208 sections 4.6.2, 5).

    Immutable (a named tuple: cheap to build, which matters when a cold check
    parses a few dozen terms).  ``shift``/``masked`` let ip4/ip6 compare an
    address with one shift: ``value >> shift == masked``.
    """

    qualifier: str  # "+", "-", "~" or "?"
    kind: str  # all include a mx ptr ip4 ip6 exists
    text: str  # the term as written
    domain: MacroString | None = None  # domain-spec (include a mx ptr exists)
    cidr4: int = 32
    cidr6: int = 128
    #: ip4/ip6: 4 or 6, the network as an integer and the prefix length.
    version: int = 0
    network: int = 0
    prefix: int = 0
    shift: int = 0
    masked: int = 0

    @property
    def result(self) -> str:
        """The result this directive gives when it matches (section 4.6.2)."""
        return QUALIFIERS[self.qualifier]

    @property
    def counts_lookup(self) -> bool:
        return self.kind in DNS_MECHANISMS

    def covers(self, version: int, value: int) -> bool:
        """ip4/ip6: whether the address (as integer) is inside the network (section 5.6)."""
        return version == self.version and value >> self.shift == self.masked


@dataclass(frozen=True, slots=True)
class Modifier:
    """A ``name=value`` term (RFC 7208 section 6); unknown modifiers are kept but ignored."""

    name: str  # lower case
    text: str
    value: MacroString


@dataclass(frozen=True, slots=True)
class SPFRecord:
    """A parsed ``v=spf1`` record.  ``error`` is set when the record is a permerror (section 4.6).

    ``plan`` is the parsed form the evaluator walks: the directives in order, each run
    of consecutive ip4/ip6 directives folded into one :class:`IPRun`.  ``mechanisms``
    is the same sequence with the runs unfolded into :class:`Mechanism` tuples.
    """

    text: str
    #: Evaluation order with ip4/ip6 runs folded, built while parsing (section 4.6.2).
    plan: tuple[Mechanism | IPRun, ...] = field(default=(), repr=False)
    modifiers: tuple[Modifier, ...] = ()
    redirect: MacroString | None = None
    exp: MacroString | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        """Every directive in order (section 4.6.2), ip4/ip6 runs unfolded."""
        out: list[Mechanism] = []
        for step in self.plan:
            if isinstance(step, IPRun):
                out.extend(step.mechanisms)
            else:
                out.append(step)
        return tuple(out)

    @property
    def dns_terms(self) -> int:
        """DNS-querying terms of this record alone (mechanisms, plus redirect), section 4.6.4."""
        return sum(1 for m in self.mechanisms if m.counts_lookup) + (1 if self.redirect is not None else 0)

    @property
    def all_mechanism(self) -> Mechanism | None:
        """The first ``all`` directive, if any (a redirect after it is never used, section 6.1)."""
        for mech in self.mechanisms:
            if mech.kind == "all":
                return mech
        return None


# A well-formed record is built by setting its slots directly: the frozen dataclass __init__
# goes through object.__setattr__ once per field (0.71 us per record, measured), the slot
# descriptors take 0.35 us, and a cold check parses ~5.6 records per query.  Same fields, same
# object (tests/spf/test_record.py compares it with the __init__-built one).
_RECORD_SLOTS = ("text", "plan", "modifiers", "redirect", "exp", "error")
_set_text, _set_plan, _set_modifiers, _set_redirect, _set_exp, _set_error = (
    SPFRecord.__dict__[name].__set__ for name in _RECORD_SLOTS)
_new_object = object.__new__


def _valid_record(text: str, plan: tuple[Mechanism | IPRun, ...], modifiers: tuple[Modifier, ...],
                  redirect: MacroString | None, exp: MacroString | None) -> SPFRecord:
    """``SPFRecord(text, plan, modifiers, redirect, exp)``, built without the frozen ``__init__``."""
    record = _new_object(SPFRecord)
    _set_text(record, text)
    _set_plan(record, plan)
    _set_modifiers(record, modifiers)
    _set_redirect(record, redirect)
    _set_exp(record, exp)
    _set_error(record, None)
    return record


#: One ip4/ip6 directive as :class:`IPRun` keeps it: (version, shift, network >> shift,
#: qualifier, term as written).  The address is inside when ``version`` matches and
#: ``address >> shift == network >> shift`` (section 5.6).
IPEntry = tuple[int, int, int, str, str]


class IPRun:
    """Consecutive ip4/ip6 directives, matched as a term-by-term scan would (RFC 7208 section 4.6.2).

    Parsing keeps each directive in the compact :data:`IPEntry` form (a plain tuple:
    a cold check parses a few dozen of them per query and uses most only once); the
    :class:`Mechanism` tuples are built from the terms' text on first access to
    :attr:`mechanisms`.  The first evaluation scans the run; later ones (a cached
    record) use one dictionary lookup per distinct prefix length, built on the second
    use.  The first directive (lowest index) covering the address wins either way.
    """

    __slots__ = ("_mechanisms", "_tables", "_uses", "entries")

    def __init__(self, entries: tuple[IPEntry, ...]) -> None:
        self.entries = entries
        self._mechanisms: tuple[Mechanism, ...] | None = None
        self._tables: dict[int, tuple[tuple[int, dict[int, int]], ...]] | None = None
        self._uses = 0

    def __eq__(self, other: object) -> bool:
        return self.entries == other.entries if isinstance(other, IPRun) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.entries)

    def __repr__(self) -> str:
        return f"IPRun({self.entries!r})"

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(entry[4] for entry in self.entries)

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        """The directives as :class:`Mechanism` tuples (from their text: the parser accepted them)."""
        if self._mechanisms is None:
            self._mechanisms = tuple(_parse_mechanism(entry[4]) for entry in self.entries)
        return self._mechanisms

    def _build(self) -> dict[int, tuple[tuple[int, dict[int, int]], ...]]:
        tables: dict[tuple[int, int], dict[int, int]] = {}
        for index, (version, shift, masked, _, _) in enumerate(self.entries):
            tables.setdefault((version, shift), {}).setdefault(masked, index)
        return {version: tuple((shift, table) for (v, shift), table in tables.items() if v == version)
                for version in (4, 6)}

    def first_match(self, version: int, value: int) -> int:
        """Index of the first directive covering the address, or -1."""
        tables = self._tables
        if tables is None:
            self._uses += 1
            if self._uses < 2:
                for index, (v, shift, masked, _, _) in enumerate(self.entries):
                    if v == version and value >> shift == masked:
                        return index
                return -1
            tables = self._tables = self._build()
        best = -1
        for shift, table in tables[version]:
            index = table.get(value >> shift)
            if index is not None and (best < 0 or index < best):
                best = index
        return best


class _TermError(RecordSyntaxError):
    """Internal: one term of a record does not follow the ABNF of RFC 7208 section 12."""


def is_spf_record(text: str) -> bool:
    """``v=spf1`` followed by a space or the end, case-insensitive (RFC 7208 section 4.5)."""
    return _VERSION.match(text) is not None


def select_record(texts: tuple[str, ...] | list[str]) -> tuple[str | None, int]:
    """Section 4.5: the one SPF record among TXT texts, and how many there were (0, 1 or more)."""
    found = None
    count = 0
    for text in texts:
        if _VERSION.match(text) is not None:
            found = text
            count += 1
    return (found if count == 1 else None), count


def select_txt_record(records: tuple[Record, ...]) -> tuple[str | None, int]:
    """:func:`select_record` over the records of a TXT answer (``Answer.records``), each one's
    character-strings concatenated first (section 3.3): one pass, no list of texts."""
    found = None
    count = 0
    for record in records:
        if isinstance(record, tuple):
            text = "".join(record)
            # As in _parse; a text not starting with "v"/"V" (site verifications...) skips the pattern.
            if text[:7] == "v=spf1 " or (text[:1] in "vV" and _VERSION.match(text) is not None):
                found = text
                count += 1
    return (found if count == 1 else None), count


def parse_record(text: str) -> SPFRecord:
    """Parse one SPF record (RFC 7208 section 4.6.1 and the ABNF of section 12).

    Never raises: syntax problems come back in :attr:`SPFRecord.error`, naming
    the offending term.  Records up to :data:`MAX_CACHED_LENGTH` characters are
    memoized (the result is immutable).
    """
    if len(text) > MAX_CACHED_LENGTH:
        return _parse(text)
    return _parse_memo(text)


def _parse(text: str) -> SPFRecord:
    if len(text) > MAX_RECORD_LENGTH:
        return SPFRecord(text[:200], error=f"record is longer than {MAX_RECORD_LENGTH} characters")
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        term = next((t for t in text.split(" ") if bad in t), text)
        return SPFRecord(text, error=f"non-ASCII character in term {term!r} (section 3.1)")
    # The usual lower-case "v=spf1 " by comparison, other spellings by the pattern (~0.1 us per record).
    if text[:7] != "v=spf1 " and _VERSION.match(text) is None:
        return SPFRecord(text, error="not an SPF record: it must start with 'v=spf1'")
    plan: list[Mechanism | IPRun] = []
    run: list[IPEntry] = []  # the ip4/ip6 directives since the last other directive
    modifiers: list[Modifier] = []
    redirect: MacroString | None = None
    exp: MacroString | None = None
    for term in text[6:].split(" "):
        if not term:
            continue
        # The common terms inline (same grammar, sections 5.1-5.7 and 12); a term they do not
        # accept falls through to the general parser, which accepts it or names the error.
        name, colon, rest = term.partition(":")
        mech: Mechanism | None = None
        known = _INLINE_TERMS.get(name)
        if known is not None:
            qualifier, kind, version, family, shifts = known
            if version:  # ip4 / ip6
                net, slash, cidr = rest.partition("/")
                shift = shifts.get(cidr, -1) if slash else 0
                try:
                    value = _from_bytes(_inet_pton(family, net), "big")
                except (OSError, ValueError):
                    pass
                else:
                    if shift >= 0:
                        run.append((version, shift, value >> shift, qualifier, term))
                        continue
            elif kind == "include" or kind == "exists":
                domain = _fast_domain(rest) if colon else None
                if domain is not None:
                    mech = _new_tuple(Mechanism, (qualifier, kind, term, domain, 32, 128, 0, 0, 0, 0, 0))
            elif not colon:  # all, a, mx without arguments
                mech = _new_tuple(Mechanism, (qualifier, kind, term, None, 32, 128, 0, 0, 0, 0, 0))
        if mech is None:
            qualifier = _QUALIFIER.get(term[0])
            fast = _FAST_A_MX.fullmatch(term, 1 if qualifier else 0)
            if fast is not None:
                mech = _fast_a_mx(qualifier or "+", term, fast)
        if mech is None:
            try:
                mod = _MODIFIER.fullmatch(term)
                if mod is not None:
                    modifier = _parse_modifier(term, mod.group(1).lower(), mod.group(2))
                    if modifier.name == "redirect":
                        if redirect is not None:
                            raise _TermError("redirect= appears more than once (section 6)")
                        redirect = modifier.value
                    elif modifier.name == "exp":
                        if exp is not None:
                            raise _TermError("exp= appears more than once (section 6)")
                        exp = modifier.value
                    modifiers.append(modifier)
                    continue
                mech = _parse_mechanism(term)
            except (_TermError, MacroSyntaxError) as exc:
                return SPFRecord(text, error=f"invalid term {term!r}: {exc}")
            if mech.version:  # ip4/ip6 the inline path left to the general parser (e.g. "IP4:")
                run.append((mech.version, mech.shift, mech.masked, mech.qualifier, term))
                continue
        if run:
            plan.append(IPRun(tuple(run)))
            run = []
        plan.append(mech)
    if run:
        plan.append(IPRun(tuple(run)))
    return _valid_record(text, tuple(plan), tuple(modifiers), redirect, exp)


_parse_memo = memo(4096)(_parse)


def _fast_a_mx(qualifier: str, term: str, fast: re.Match[str]) -> Mechanism | None:
    """a or mx from a :data:`_FAST_A_MX` match; None sends the term to the general path."""
    kind, domain_text, cidr4, cidr6 = fast.groups()
    domain = None
    if domain_text is not None:
        domain = _fast_domain(domain_text)
        if domain is None:
            return None
    return _new_tuple(Mechanism, (qualifier, kind, term, domain, int(cidr4) if cidr4 else 32,
                                  int(cidr6) if cidr6 else 128, 0, 0, 0, 0, 0))


def _fast_domain(spec: str) -> MacroString | None:
    """``spec`` as a literal domain-spec if :data:`_FAST_DOMAIN` accepts it and it needs no
    truncation (sections 7.1, 7.3), else None (the general parser decides).  Such a name is
    also a valid domain in the sense of section 4.3 (``valid_name``)."""
    if _FAST_DOMAIN_RE.fullmatch(spec) is None:
        return None
    name = spec[:-1] if spec[-1] == "." else spec
    if len(name) > MAX_DOMAIN:
        return None
    return _new_tuple(MacroString, (spec, (spec,), spec, False, False, name, True))  # literal_domain(), inline


def _parse_modifier(term: str, name: str, value: str) -> Modifier:
    if name in ("redirect", "exp"):
        if not value:
            raise _TermError(f"{name}= needs a domain")
        return Modifier(name, term, parse_domain_spec(value))
    return Modifier(name, term, parse_macro_string(value))


def parse_domain_spec(text: str) -> MacroString:
    """``domain-spec = macro-string domain-end`` (section 7.1); raises on bad syntax."""
    spec = parse_macro_string(text)
    if not spec.ends_with_macro:
        name = text[:-1] if text.endswith(".") else text
        dot = name.rfind(".")
        if dot < 0:
            raise _TermError(f"{text!r} is not a domain name (it needs a dot and a top-level label)")
        if not _TOPLABEL.fullmatch(name[dot + 1 :]):
            raise _TermError(f"{text!r} does not end in a valid top-level label")
    return spec


def _cidr(text: str | None, limit: int, what: str) -> int | None:
    if text is None:
        return None
    if not _CIDR_NUMBER.fullmatch(text) or int(text) > limit:
        raise _TermError(f"invalid {what} prefix length /{text}")
    return int(text)


def _parse_mechanism(term: str) -> Mechanism:
    m = _MECHANISM.fullmatch(term)
    if m is None:
        raise _TermError("unknown mechanism")
    qualifier, name, rest = m.group(1) or "+", m.group(2).lower(), m.group(3)
    if name not in MECHANISMS:
        raise _TermError(f"unknown mechanism {name!r}")
    if name == "all":
        if rest:
            raise _TermError("'all' takes no argument")
        return Mechanism(qualifier, name, term)
    if name in ("include", "exists"):
        if not rest.startswith(":") or len(rest) == 1:
            raise _TermError(f"'{name}' needs ':' and a domain")
        return Mechanism(qualifier, name, term, parse_domain_spec(rest[1:]))
    if name == "ptr":
        if not rest:
            return Mechanism(qualifier, name, term)
        if not rest.startswith(":") or len(rest) == 1:
            raise _TermError("'ptr' takes only ':' and a domain")
        return Mechanism(qualifier, name, term, parse_domain_spec(rest[1:]))
    if name in ("a", "mx"):
        dual = _DUAL_CIDR.fullmatch(rest)
        if dual is None:
            raise _TermError(f"invalid arguments {rest!r}")
        spec_text, c4, c6 = dual.groups()
        domain = None
        if spec_text is not None:
            if not spec_text:
                raise _TermError(f"'{name}:' needs a domain")
            domain = parse_domain_spec(spec_text)
        cidr4 = _cidr(c4, 32, "IPv4")
        cidr6 = _cidr(c6, 128, "IPv6")
        return Mechanism(qualifier, name, term, domain, 32 if cidr4 is None else cidr4, 128 if cidr6 is None else cidr6)
    # ip4 / ip6
    if not rest.startswith(":"):
        raise _TermError(f"'{name}' needs ':' and a network")
    net_text, slash, length = rest[1:].partition("/")
    if name == "ip4":
        if not _IP4.fullmatch(net_text):
            raise _TermError(f"invalid IPv4 network {rest[1:]!r}")
        prefix = _cidr(length, 32, "IPv4") if slash else 32
        value = int.from_bytes(socket.inet_aton(net_text), "big")
        return _ip_mechanism(qualifier, name, term, 4, value, 32 if prefix is None else prefix)
    if not _IP6_CHARS.fullmatch(net_text):
        raise _TermError(f"invalid IPv6 network {rest[1:]!r}")
    try:
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, net_text), "big")
    except OSError:
        raise _TermError(f"invalid IPv6 network {rest[1:]!r}") from None
    prefix = _cidr(length, 128, "IPv6") if slash else 128
    return _ip_mechanism(qualifier, name, term, 6, value, 128 if prefix is None else prefix)


def _ip_mechanism(qualifier: str, name: str, term: str, version: int, value: int, prefix: int) -> Mechanism:
    shift = (32 if version == 4 else 128) - prefix
    return Mechanism(qualifier, name, term, None, 32, 128, version, value, prefix, shift, value >> shift)
