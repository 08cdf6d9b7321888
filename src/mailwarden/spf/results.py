"""SPF results and the evidence behind them (RFC 7208 sections 2.6 and 8).

:class:`SPFResult` is what :func:`mailwarden.spf.check_host` returns;
:class:`PolicyAnalysis` is what the IP-less policy walk
(:func:`mailwarden.spf.analyze_policy`) returns for the domain audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The seven results of RFC 7208 section 2.6.
RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")

#: Plain-language meaning of each result, for human output.
MEANINGS = {
    "pass": "the domain authorizes this IP address to send its mail",
    "fail": "the domain says this IP address is NOT allowed to send its mail",
    "softfail": "the domain says this IP address is probably not allowed (weak fail, often a transition policy)",
    "neutral": "the domain makes no statement about this IP address",
    "none": "the domain publishes no SPF record (or the name cannot be checked)",
    "permerror": "the domain's SPF policy is broken and cannot be evaluated",
    "temperror": "a DNS error prevented the check; try again later",
}


@dataclass(frozen=True, slots=True)
class TermTrace:
    """One term the engine evaluated: where, which, and what came of it."""

    domain: str
    term: str
    outcome: str  # "match", "no match", "temperror", "permerror"
    depth: int = 0
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ChainStep:
    """An include or redirect the engine followed (sections 5.2 and 6.1)."""

    kind: str  # "include" or "redirect"
    source: str
    target: str
    result: str | None = None


@dataclass(frozen=True)
class SPFResult:
    """The outcome of one SPF check (RFC 7208 section 2.6) with its evidence.

    ``chain`` and ``trace`` are built on first access from compact tuples the
    engine records (``raw_chain``: (kind, source, target, result);
    ``raw_trace``: (domain, term, outcome, depth, detail)), so that a check
    whose evidence nobody reads does not pay for it.
    """

    result: str
    domain: str
    explanation: str | None = None
    lookups: int = 0
    void_lookups: int = 0
    mechanism: str | None = None
    #: Why the result is permerror/temperror/none, naming the offending term or name.
    problem: str | None = None
    #: The domain whose record holds the matching term.
    matched_domain: str | None = None
    #: The identity checked: "mailfrom" or "helo" (section 2.4), and the sender used.
    identity: str = "mailfrom"
    sender: str = ""
    ip: str = ""
    #: The SPF record of ``domain`` when one was found.
    record: str | None = None
    raw_chain: tuple[tuple[str, str, str, str | None], ...] = field(default=(), repr=False)
    raw_trace: tuple[tuple[Any, ...], ...] = field(default=(), repr=False)

    @property
    def reason(self) -> str | None:
        """Why the result is what it is, under the name every result has (``problem``)."""
        return self.problem

    @property
    def chain(self) -> tuple[ChainStep, ...]:
        """Includes and redirects followed, in order, with the result each gave."""
        return tuple(ChainStep(*step) for step in self.raw_chain)

    @property
    def trace(self) -> tuple[TermTrace, ...]:
        """Every term evaluated, in order (terms of nested records have depth > 0)."""
        return tuple(TermTrace(*step) for step in _expand(self.raw_trace))

    def to_json(self) -> dict[str, Any]:
        """SPEC section 5 fields first, then the evidence."""
        return {
            "result": self.result,
            "domain": self.domain,
            "explanation": self.explanation,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "mechanism": self.mechanism,
            "problem": self.problem,
            "matched_domain": self.matched_domain,
            "identity": self.identity,
            "sender": self.sender,
            "ip": self.ip,
            "record": self.record,
            "chain": [{"kind": c[0], "source": c[1], "target": c[2], "result": c[3]} for c in self.raw_chain],
            "trace": [{"domain": t[0], "term": t[1], "outcome": t[2], "depth": t[3], "detail": t[4]}
                      for t in _expand(self.raw_trace)],
        }


_new_object = object.__new__


def new_result(result: str, domain: str, explanation: str | None, lookups: int, void_lookups: int,
               mechanism: str | None, problem: str | None, matched_domain: str | None, identity: str,
               sender: str, ip: str, record: str | None, raw_chain: tuple, raw_trace: tuple) -> SPFResult:
    """``SPFResult(...)`` with every field given, built without the frozen ``__init__``: it sets
    each of the 14 fields through ``object.__setattr__`` (1.5 us, measured); filling the instance
    dictionary takes 0.5 us.  Same object (tests/spf/test_evaluate.py compares the two)."""
    spf_result = _new_object(SPFResult)
    spf_result.__dict__.update(
        result=result, domain=domain, explanation=explanation, lookups=lookups, void_lookups=void_lookups,
        mechanism=mechanism, problem=problem, matched_domain=matched_domain, identity=identity,
        sender=sender, ip=ip, record=record, raw_chain=raw_chain, raw_trace=raw_trace)
    return spf_result


def _expand(raw: tuple) -> list[tuple[str, str, str, int, str | None]]:
    """Unfold the engine's compact entries: a run of ip4/ip6 terms is recorded as
    (domain, run, index of the matching term or -1, depth, None), ``run.texts`` its terms."""
    out = []
    for domain, term, outcome, depth, detail in raw:
        if not isinstance(term, str):
            term = term.texts
            last = len(term) - 1 if outcome < 0 else outcome
            for i in range(last + 1):
                out.append((domain, term[i], "match" if i == outcome else "no match", depth, None))
        else:
            out.append((domain, term, outcome, depth, detail))
    return out


@dataclass(frozen=True, slots=True)
class Network:
    """An ip4/ip6 range authorized by a policy, with its size in addresses."""

    domain: str
    term: str
    network: str  # e.g. "192.0.2.0/24"
    version: int
    addresses: int


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """One record reached by the policy walk.

    Status: "ok", "none" (no record / no such name), "multiple" (one entry per
    record found), "syntax", "temperror", or "void" (an ``a``/``mx``/``exists``
    target that does not exist or has no records; ``via`` is the term kind).
    """

    domain: str
    record: str | None
    status: str
    problem: str | None = None
    depth: int = 0
    via: str | None = None  # "include" / "redirect" / None for the top


@dataclass(frozen=True)
class PolicyAnalysis:
    """A static walk of a domain's SPF policy without an IP (for the audit, RFC 7208 section 4.6.4).

    ``lookups`` counts DNS-querying terms exactly as the engine counts them when
    it evaluates every term (no early match): mechanisms ``include a mx ptr
    exists`` and a used ``redirect`` across all nested records.
    """

    domain: str
    record: str | None
    status: str  # status of the top record (see PolicyRecord.status)
    problem: str | None
    lookups: int
    void_lookups: int
    records: tuple[PolicyRecord, ...] = ()
    loops: tuple[str, ...] = ()  # e.g. "a.example -> b.example -> a.example"
    uses_ptr: tuple[str, ...] = ()  # domains whose record uses ptr
    macro_terms: tuple[str, ...] = ()  # terms with macros (not followed statically)
    all_qualifier: str | None = None  # qualifier of the effective top-level "all" ("-", "~", "?", "+")
    networks: tuple[Network, ...] = ()
    mechanisms: tuple[tuple[str, str], ...] = ()  # (domain, term) for every term seen
    errors: tuple[str, ...] = field(default=())

    @property
    def too_many_lookups(self) -> bool:
        return self.lookups > 10

    @property
    def authorized_addresses(self) -> int:
        """Total IPv4 addresses authorized by ip4 ranges (the audit's "broad range" measure)."""
        return sum(n.addresses for n in self.networks if n.version == 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain, "record": self.record, "status": self.status, "problem": self.problem,
            "lookups": self.lookups, "void_lookups": self.void_lookups,
            "records": [{"domain": r.domain, "record": r.record, "status": r.status, "problem": r.problem,
                         "depth": r.depth, "via": r.via} for r in self.records],
            "loops": list(self.loops), "uses_ptr": list(self.uses_ptr), "macro_terms": list(self.macro_terms),
            "all_qualifier": self.all_qualifier,
            "networks": [{"domain": n.domain, "term": n.term, "network": n.network, "version": n.version,
                          "addresses": n.addresses} for n in self.networks],
            "errors": list(self.errors),
        }
