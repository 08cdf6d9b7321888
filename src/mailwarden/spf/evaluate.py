"""SPF evaluation: ``check_host()`` of RFC 7208 sections 4 and 5, on the async resolver.

Limits enforced here (section 4.6.4), each turned into a result, never a hang:

* at most 10 DNS-querying terms (``include a mx ptr exists`` and ``redirect``)
  across the whole evaluation, nested includes and redirects included;
* at most 2 "void lookups": the query of an ``a``, ``mx``, ``ptr`` or
  ``exists`` term that answers NXDOMAIN or no records;
* an ``mx`` term returning more than 10 MX records is a permerror; only the
  first 10 PTR names are looked at by ``ptr`` and ``%{p}``;
* an include or redirect back to a domain already being evaluated is a
  permerror at once (an include loop can only end at the lookup limit);
* macro expansions are bounded (:data:`mailwarden.spf.macros.MAX_EXPANSION`),
  domain names are truncated to 253 characters (section 7.3);
* DNS time is bounded by the resolver (per-query timeout and overall deadline
  of :class:`~mailwarden.dns.live.LiveResolver`); a timeout is a temperror.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time

from mailwarden.cache import Cache
from mailwarden.dns.base import Answer, Rcode, Record, Resolver, reverse_name, to_a_label
from mailwarden.errors import InputError, MailwardenError
from mailwarden.spf.lookups import AddressSet, PolicyLookup, cacheable
from mailwarden.spf.macros import MacroString, MacroSyntaxError, MacroValues, parse_macro_string, query_name
from mailwarden.spf.record import QUALIFIERS, IPRun, Mechanism, SPFRecord, parse_record, select_txt_record
from mailwarden.spf.results import SPFResult, new_result

MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_RECORDS = 10
MAX_PTR_NAMES = 10
#: How long a "no record" answer is kept by the cache when DNS gave no TTL.
NEGATIVE_CACHE_TTL = 60

_INCLUDE_RESULT = {"pass": True, "fail": False, "softfail": False, "neutral": False}
MATCH, NO_MATCH = "match", "no match"
_NOERROR, _NXDOMAIN = Rcode.NOERROR, Rcode.NXDOMAIN
_new_tuple = tuple.__new__


class _Stop(MailwardenError):
    """Internal control flow: a permerror or temperror ends the whole evaluation.

    Never leaves this module: :func:`check_host` turns it into an :class:`SPFResult`.
    """

    def __init__(self, result: str, problem: str) -> None:
        super().__init__(problem)
        self.result = result
        self.problem = problem


class _Outcome:
    __slots__ = ("domain", "mechanism", "problem", "record", "result", "void")

    def __init__(self, result: str, domain: str, mechanism: str | None = None,
                 record: SPFRecord | None = None, problem: str | None = None, void: bool = False) -> None:
        self.result = result
        self.domain = domain
        self.mechanism = mechanism
        self.record = record
        self.problem = problem
        self.void = void  # "none" because the name's TXT query found nothing


#: Section 4.3 as one pattern: at least two labels of 1-63 ASCII characters other than
#: ".", space, tab, CR, LF and "\\"; not starting with "["; the last label not all digits.
_LABEL = r"[^. \t\r\n\\\x80-\U0010ffff]{1,63}"
_VALID_DOMAIN = re.compile(r"(?!\[)(?:" + _LABEL + r"\.)+(?![0-9]+\Z)" + _LABEL)


def valid_domain(name: str) -> bool:
    """Section 4.3: a multi-label name whose labels are 1..63 characters, at most 253 in all."""
    return len(name) <= 253 and _VALID_DOMAIN.fullmatch(name) is not None


def _address_value(text: str, version: int) -> int | None:
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET if version == 4 else socket.AF_INET6, text), "big")
    except (OSError, ValueError):
        return None


def parse_ip(ip: str) -> tuple[int, int, str]:
    """(version, integer, text in RFC 5952 form); IPv4-mapped IPv6 counts as IPv4 (section 5)."""
    ip = ip.strip()
    try:  # inet_pton accepts only the canonical dotted quad
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big"), ip
    except OSError:
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip)
    except (OSError, ValueError):
        raise InputError(f"invalid IP address {ip!r}") from None
    value = int.from_bytes(packed, "big")
    if value >> 32 == 0xFFFF:
        mapped = value & 0xFFFFFFFF
        return 4, mapped, socket.inet_ntop(socket.AF_INET, mapped.to_bytes(4, "big"))
    text = socket.inet_ntop(socket.AF_INET6, packed)
    if "." in text:  # ::a.b.c.d: RFC 5952 section 5 keeps the mixed form for ::ffff: only
        text = str(ipaddress.IPv6Address(value))
    return 6, value, text


def dotted_ip(version: int, value: int, text: str) -> str:
    """``%{i}`` (section 7.3): the dotted quad, or 32 dot-separated nibbles for IPv6 (upper case,
    as the OpenSPF suite expects; DNS names are case-insensitive)."""
    if version == 4:
        return text
    return ".".join(f"{value:032X}")


class _Evaluator:
    """State of one check_host() evaluation, shared by its includes and redirects."""

    __slots__ = (
        "_values",
        "cache",
        "cache_now",
        "chain",
        "helo",
        "ip_dotted",
        "ip_int",
        "ip_text",
        "lookups",
        "now",
        "ptr_names",
        "ptr_values",
        "receiver",
        "resolver",
        "sender",
        "stack",
        "top_record",
        "trace",
        "version",
        "void",
    )

    def __init__(self, resolver: Resolver, ip: tuple[int, int, str], sender: str, helo: str,
                 receiver: str | None, now: float | None, cache: Cache | None) -> None:
        self.resolver = resolver
        self.version, self.ip_int, self.ip_text = ip
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.now = now
        self.cache = cache
        #: One clock reading for every cache expiry check of this evaluation.
        self.cache_now = cache.now() if cache is not None else 0.0
        self.lookups = 0
        self.void = 0
        self.trace: list[tuple[str, str, str, int, str | None] | None] = []
        self.chain: list[tuple[str, str, str, str | None]] = []
        self.stack: list[str] = []
        self.ptr_names: list[str] | None = None
        self.ptr_values: dict[str, str] = {}
        self.top_record: str | None = None
        self._values: MacroValues | None = None

    @property
    def values(self) -> MacroValues:
        """Macro values (section 7.3), built on first use: most policies have no macro."""
        if self._values is None:
            local, _, sender_domain = self.sender.rpartition("@")
            now = time.time() if self.now is None else self.now
            dotted = dotted_ip(self.version, self.ip_int, self.ip_text)
            self._values = MacroValues(self.sender, local, sender_domain, dotted, self.ip_text,
                                       self.version, self.helo, self.receiver or "unknown", int(now))
        return self._values

    # ------------------------------------------------------------------ records

    def policy(self, name: str, answer: Answer, key: str) -> PolicyLookup:
        """Section 4.4/4.5: the name's one ``v=spf1`` record from its TXT answer (cached by ``key``,
        the name in lower case)."""
        rcode = answer.rcode
        if rcode is not _NOERROR and rcode is not _NXDOMAIN:  # SERVFAIL, TIMEOUT (Answer.failed)
            raise _Stop("temperror", f"DNS {rcode.value} looking up the SPF record of {name}")
        if rcode is _NXDOMAIN or not answer.records:  # a void lookup (Answer.void)
            lookup = PolicyLookup("none", nxdomain=rcode is _NXDOMAIN, void=True)
        else:
            text, count = select_txt_record(answer.records)
            if count == 0:
                lookup = PolicyLookup("none")
            elif count > 1:
                lookup = PolicyLookup("multiple")
            else:
                # PolicyLookup("ok", record) without the named tuple's Python-level __new__ (-0.2 us).
                lookup = _new_tuple(PolicyLookup, ("ok", parse_record(text), False, False))  # type: ignore
        if self.cache is not None and cacheable(lookup):
            self.cache.put(key, lookup, answer.ttl or NEGATIVE_CACHE_TTL)
        return lookup

    # ------------------------------------------------------------------ check_host

    async def check(self, domain: str, depth: int, valid_name: bool = False, key: str | None = None) -> _Outcome:
        """check_host() for one domain (section 4); errors raise :class:`_Stop`.

        ``valid_name``: the caller knows ``domain`` is a valid name (section 4.3) already;
        ``key``: ``domain.lower()`` when the caller has it.
        """
        if key is None:
            key = domain.lower()
        cache = self.cache
        lookup = cache.get(key, self.cache_now) if cache is not None else None  # cached names were valid
        if lookup is None:
            if not valid_name and not valid_domain(domain):
                return _Outcome("none", domain, problem=f"{domain!r} is not a valid domain name (section 4.3)")
            lookup = self.policy(domain, await self.resolver.query(domain, "TXT"), key)
        if lookup.status != "ok":
            if lookup.status == "multiple":
                raise _Stop("permerror", f"{domain} publishes more than one SPF record (section 4.5)")
            why = "does not exist" if lookup.nxdomain else "has no SPF record"
            return _Outcome("none", domain, problem=f"{domain} {why}", void=lookup.void)
        record = lookup.record  # type: ignore[union-attr]
        assert record is not None
        if depth == 0:
            self.top_record = record.text
        if record.error is not None:
            raise _Stop("permerror", f"{domain}: {record.error}")
        trace = self.trace
        version = self.version
        ip_int = self.ip_int
        self.stack.append(key)
        try:
            for mech in record.plan:
                if isinstance(mech, IPRun):
                    index = mech.first_match(version, ip_int)
                    trace.append((domain, mech, index, depth, None))
                    if index >= 0:
                        _, _, _, qualifier, text = mech.entries[index]
                        return _Outcome(QUALIFIERS[qualifier], domain, text, record)
                    continue
                if mech.kind == "all":
                    trace.append((domain, mech.text, MATCH, depth, None))
                    return _Outcome(QUALIFIERS[mech.qualifier], domain, mech.text, record)
                index = len(trace)
                trace.append(None)
                try:
                    spec = mech.domain
                    if mech.kind == "include" and spec.literal is not None:  # type: ignore[union-attr]
                        # match() and include() inline, the one await being the nested check
                        # (two coroutines fewer per include: ~0.4 us each, ~4.6 includes per query).
                        self.count_lookup(mech.text, domain)
                        step, target_key = self.enter_include(mech, domain, spec.name)  # type: ignore[union-attr]
                        outcome = await self.check(spec.name, depth + 1, spec.valid_name, target_key)  # type: ignore
                        matched = self.include_result(step, mech, domain, outcome)
                    else:
                        matched = await self.match(mech, domain, depth)
                except _Stop as stop:
                    trace[index] = (domain, mech.text, stop.result, depth, stop.problem)
                    raise
                trace[index] = (domain, mech.text, MATCH if matched else NO_MATCH, depth, None)
                if matched:
                    return _Outcome(QUALIFIERS[mech.qualifier], domain, mech.text, record)
            if record.redirect is not None:
                return await self.redirect(record.redirect, domain, depth)
            return _Outcome("neutral", domain, None, record)
        finally:
            self.stack.pop()

    def count_lookup(self, term: str, domain: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_TERMS:
            raise _Stop("permerror", f"more than {MAX_DNS_TERMS} DNS-querying terms: limit exceeded at "
                                     f"{term!r} in {domain} (section 4.6.4)")

    def count_void(self, term: str, name: str) -> None:
        self.void += 1
        if self.void > MAX_VOID_LOOKUPS:
            raise _Stop("permerror", f"more than {MAX_VOID_LOOKUPS} void lookups: {name} in {term!r} "
                                     f"does not exist or has no records (section 4.6.4)")

    async def target(self, spec: MacroString | None, domain: str) -> str | None:
        """Expand a domain-spec (section 7); ``None`` if the result is no usable name."""
        if spec is None:
            return domain
        if spec.literal is not None:
            return spec.name
        if spec.uses_ptr:
            await self.ptr_macro(domain)
        try:
            return query_name(spec.expand(self.values, domain))
        except MacroSyntaxError as exc:
            raise _Stop("permerror", str(exc)) from None

    async def redirect(self, spec: MacroString, domain: str, depth: int) -> _Outcome:
        """Section 6.1: the result of the redirect target replaces this record's."""
        term = "redirect=" + spec.text
        self.trace.append((domain, term, "followed", depth, None))
        self.count_lookup(term, domain)
        target = await self.target(spec, domain)
        if target is None:
            raise _Stop("permerror", f"{term!r} in {domain} does not expand to a valid domain name")
        self.loop_check(target, "redirect")
        step = len(self.chain)
        self.chain.append(("redirect", domain, target, None))
        outcome = await self.check(target, depth + 1)
        self.chain[step] = ("redirect", domain, target, outcome.result)
        if outcome.result == "none":
            if outcome.void:
                self.void += 1  # counted as evidence; the permerror follows anyway
            raise _Stop("permerror", f"redirect target {target} of {domain} has no SPF record (section 6.1)")
        return outcome

    def loop_check(self, target: str, kind: str) -> None:
        if target.lower() in self.stack:
            path = " -> ".join([*self.stack, target.lower()])
            raise _Stop("permerror", f"{kind} loop: {path}")

    # ------------------------------------------------------------------ mechanisms

    async def match(self, mech: Mechanism, domain: str, depth: int) -> bool:
        """Section 5: whether a DNS-querying mechanism matches the connecting IP."""
        kind = mech.kind
        self.count_lookup(mech.text, domain)
        spec = mech.domain
        target = spec.name if spec is not None and spec.literal is not None else await self.target(spec, domain)
        if kind == "include":
            return await self.include(mech, domain, target, depth)
        if target is None:
            return False
        if kind == "a" or kind == "mx":
            found = await self.addresses(kind, target, mech)
            if found.void:
                self.count_void(mech.text, target)
            if found.mx_count > MAX_MX_RECORDS:
                raise _Stop("permerror", f"{mech.text!r}: {target} has {found.mx_count} MX records, more than "
                                         f"{MAX_MX_RECORDS} (section 4.6.4)")
            shift = (32 - mech.cidr4) if self.version == 4 else (128 - mech.cidr6)
            if shift == 0:
                return self.ip_int in found.addresses
            mine = self.ip_int >> shift
            return any(value >> shift == mine for value in found.addresses)
        if kind == "exists":
            answer = await self.resolver.query(target, "A")
            self.check_answer(answer, mech, target)
            return bool(answer.records)
        return await self.match_ptr(mech, target)

    def check_answer(self, answer: Answer, mech: Mechanism, target: str) -> None:
        if answer.failed:
            raise _Stop("temperror", f"DNS {answer.rcode.value} for {target} ({mech.text!r})")
        if answer.void:
            self.count_void(mech.text, target)

    async def addresses(self, kind: str, target: str, mech: Mechanism) -> AddressSet:
        """Sections 5.3/5.4: the addresses of ``target`` (a) or of its MX hosts (mx), cached by TTL."""
        version = self.version
        key = (kind, target.lower(), version)
        cache = self.cache
        if cache is not None:
            hit = cache.get(key, self.cache_now)
            if hit is not None:
                return hit  # type: ignore[return-value]
        rdtype = "A" if version == 4 else "AAAA"
        if kind == "a":
            answer = await self.resolver.query(target, rdtype)
            if answer.failed:
                raise _Stop("temperror", f"DNS {answer.rcode.value} for {target} ({mech.text!r})")
            found = AddressSet(frozenset(_add_values(set(), answer.records, version)), answer.void)
            ttl = answer.ttl
        else:
            answer = await self.resolver.query(target, "MX")
            if answer.failed:
                raise _Stop("temperror", f"DNS {answer.rcode.value} for {target} ({mech.text!r})")
            hosts = answer.mx()
            ttl = answer.ttl
            values: set[int] = set()
            if len(hosts) <= MAX_MX_RECORDS:
                for mx in hosts:
                    if not mx.exchange:  # null MX (RFC 7505)
                        continue
                    host = await self.resolver.query(mx.exchange, rdtype)
                    if host.failed:
                        # RFC 7208 section 5: a lookup error stops the evaluation with temperror, unless an
                        # earlier MX host (in answer order) already matched: then the mechanism matched first.
                        if not self._mx_matches(values, mech):
                            raise _Stop("temperror",
                                        f"DNS {host.rcode.value} for MX host {host.name} ({mech.text!r})")
                        return AddressSet(frozenset(values), answer.void, len(hosts))  # usable, never cached
                    ttl = min(ttl, host.ttl)
                    _add_values(values, host.records, version)
            found = AddressSet(frozenset(values), answer.void, len(hosts))
        if cache is not None and cacheable(found):
            cache.put(key, found, ttl)
        return found

    def _mx_matches(self, values: set[int], mech: Mechanism) -> bool:
        shift = (32 - mech.cidr4) if self.version == 4 else (128 - mech.cidr6)
        mine = self.ip_int >> shift
        return any(value >> shift == mine for value in values)

    async def include(self, mech: Mechanism, domain: str, target: str | None, depth: int) -> bool:
        """Section 5.2: pass matches; fail/softfail/neutral do not; errors and none propagate."""
        step, key = self.enter_include(mech, domain, target)
        outcome = await self.check(target, depth + 1, mech.domain.valid_name, key)  # type: ignore
        return self.include_result(step, mech, domain, outcome)

    def enter_include(self, mech: Mechanism, domain: str, target: str | None) -> tuple[int, str]:
        """Before an include's nested check (section 5.2): the target must be a name not being
        evaluated already; records the chain step.  Returns (step, target in lower case)."""
        if target is None:
            raise _Stop("permerror", f"{mech.text!r} in {domain} does not expand to a valid domain name")
        key = target.lower()
        if key in self.stack:
            raise _Stop("permerror", f"include loop: {' -> '.join([*self.stack, key])}")
        step = len(self.chain)
        self.chain.append(("include", domain, target, None))
        return step, key

    def include_result(self, step: int, mech: Mechanism, domain: str, outcome: _Outcome) -> bool:
        """After an include's nested check (section 5.2): whether the include matches."""
        self.chain[step] = ("include", domain, self.chain[step][2], outcome.result)
        if outcome.result == "none":
            if outcome.void:
                self.void += 1  # counted as evidence; the permerror follows anyway
            raise _Stop("permerror", f"{mech.text!r} in {domain}: {outcome.problem} (section 5.2)")
        return _INCLUDE_RESULT[outcome.result]

    async def validated_names(self, mech: Mechanism | None) -> list[str] | None:
        """Section 5.5: PTR names of the IP whose A/AAAA records lead back to it (first 10 names).

        ``None`` when the PTR lookup itself failed.
        """
        answer = await self.resolver.query(reverse_name(self.ip_text), "PTR")
        if answer.failed:
            return None
        if mech is not None and answer.void:
            self.count_void(mech.text, answer.name)
        rdtype = "A" if self.version == 4 else "AAAA"
        names = []
        for name in answer.records[:MAX_PTR_NAMES]:
            assert isinstance(name, str)
            addresses = await self.resolver.query(name, rdtype)
            if addresses.failed:
                continue  # section 5.5: that name is skipped
            for text in addresses.addresses():
                if _address_value(text, self.version) == self.ip_int:
                    names.append(name)
                    break
        return names

    async def match_ptr(self, mech: Mechanism, target: str) -> bool:
        names = await self.validated_names(mech)
        if not names:
            return False
        target = target.lower()
        suffix = "." + target
        return any(n.lower() == target or n.lower().endswith(suffix) for n in names)

    async def ptr_macro(self, domain: str) -> None:
        """Section 7.3: ``%{p}``: the domain itself, else a subdomain of it, else any validated name."""
        key = domain.lower()
        if key in self.ptr_values:
            self.values.ptr = self.ptr_values[key]
            return
        if self.ptr_names is None:
            self.ptr_names = await self.validated_names(None) or []
        names = self.ptr_names
        suffix = "." + key
        value = next((n for n in names if n.lower() == key), None)
        value = value or next((n for n in names if n.lower().endswith(suffix)), None)
        value = value or (names[0] if names else "unknown")
        self.ptr_values[key] = value
        self.values.ptr = value

    # ------------------------------------------------------------------ explanation

    async def explanation(self, outcome: _Outcome) -> str | None:
        """Section 6.2: the exp= text of the record that gave "fail"; None when unusable."""
        record = outcome.record
        if record is None or record.exp is None:
            return None
        try:
            name = await self.target(record.exp, outcome.domain)
        except _Stop:
            return None
        if name is None:
            return None
        answer = await self.resolver.query(name, "TXT")
        if not answer.ok:
            return None
        texts = answer.texts()
        if len(texts) != 1 or not texts[0].isascii():
            return None
        try:
            text = parse_macro_string(texts[0], explanation=True)
            if text.uses_ptr:
                await self.ptr_macro(outcome.domain)
            return text.expand(self.values, outcome.domain)
        except MacroSyntaxError:
            return None


def _add_values(out: set[int], records: tuple[Record, ...], version: int) -> set[int]:
    """Add an A/AAAA answer's addresses (``Answer.addresses()``: its text records) to ``out`` as
    integers, skipping any that do not parse; no tuple or set per answer (~0.5 us per mx term)."""
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    for text in records:
        if isinstance(text, str):
            try:
                out.add(int.from_bytes(socket.inet_pton(family, text), "big"))
            except (OSError, ValueError):
                continue
    return out


def default_explanation(domain: str, ip: str) -> str:
    """The explanation when the policy gives none (section 6.2 lets the verifier choose)."""
    return f"{domain} does not designate {ip} as a permitted sender"


async def check_host(resolver: Resolver, ip: str, domain: str, sender: str, helo: str, *,
                     receiver: str | None = None, cache: Cache | None = None,
                     now: float | None = None) -> SPFResult:
    """RFC 7208 section 4: evaluate ``domain``'s SPF policy for ``ip`` and ``sender``.

    ``sender`` is ``local@domain`` (``postmaster`` is used for a missing local
    part, section 4.3); ``helo`` feeds ``%{h}``; ``receiver`` feeds ``%{r}``;
    ``now`` feeds ``%{t}``.  Raises :class:`~mailwarden.errors.InputError` only
    for an IP that is not an address; every protocol outcome is a result.
    """
    parsed_ip = parse_ip(ip)
    if domain.endswith("."):
        domain = domain[:-1]
    local, at, sender_domain = sender.rpartition("@")
    if not at:
        sender = f"postmaster@{sender or domain}"
    elif not local:
        sender = f"postmaster@{sender_domain}"
    ev = _Evaluator(resolver, parsed_ip, sender, helo, receiver, now, cache)
    explanation = None
    try:
        outcome = await ev.check(domain, 0)
        if outcome.result == "fail":
            explanation = await ev.explanation(outcome) or default_explanation(outcome.domain, ev.ip_text)
        result, problem = outcome.result, outcome.problem
        mechanism, matched = outcome.mechanism, (outcome.domain if outcome.mechanism else None)
    except _Stop as stop:
        result, problem, mechanism, matched = stop.result, stop.problem, None, None
    return new_result(
        result, domain, explanation, ev.lookups, ev.void, mechanism, problem, matched, "mailfrom", sender,
        ev.ip_text, ev.top_record, tuple(ev.chain), tuple(ev.trace),
    )


async def evaluate_spf(resolver: Resolver, ip: str, mail_from: str, helo: str, receiver: str | None = None,
                       cache: Cache | None = None, now: float | None = None) -> SPFResult:
    """Check the MAIL FROM identity, or the HELO identity when MAIL FROM is empty (RFC 7208 section 2.4).

    An empty MAIL FROM (``""`` or ``<>``) checks ``postmaster@HELO``; a MAIL
    FROM without local part checks ``postmaster@domain`` (section 4.3).
    """
    mail_from = mail_from.strip()
    if mail_from.startswith("<") and mail_from.endswith(">"):
        mail_from = mail_from[1:-1].strip()
    helo = to_a_label(helo.strip())  # RFC 8616 section 4: internationalized names are checked as A-labels
    if not mail_from:
        identity, domain, sender = "helo", helo, f"postmaster@{helo}"
    elif "@" in mail_from:
        local, _, domain = mail_from.rpartition("@")
        domain = to_a_label(domain)
        identity, sender = "mailfrom", f"{local or 'postmaster'}@{domain}"
    else:
        domain = to_a_label(mail_from)
        identity, sender = "mailfrom", f"postmaster@{domain}"
    result = await check_host(resolver, ip, domain, sender, helo, receiver=receiver, cache=cache, now=now)
    if identity != result.identity:
        from dataclasses import replace

        result = replace(result, identity=identity)
    return result
