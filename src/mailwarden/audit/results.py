"""Frozen results of a domain audit (SPEC section 7).

:class:`AuditReport` carries everything a front end renders: the findings
(stable ids of SPEC section 7, a severity, a one-sentence message and a concrete
fix), the records to publish, the DMARC roll-out plan, the grade and the
evidence gathered per area.  :meth:`AuditReport.to_json` is the SPEC JSON object
(plus extra evidence fields).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CRITICAL = "critical"
WARNING = "warning"
INFO = "info"
SEVERITY_RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or noteworthy fact) with a concrete fix."""

    id: str
    severity: str
    message: str
    fix: str
    area: str
    #: Evidence: the record text, the lookup chain, the reply ... (not part of the SPEC minimum).
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "severity": self.severity, "message": self.message, "fix": self.fix,
               "area": self.area}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class RecommendedRecord:
    """A DNS record to publish (or to keep), zone-file ready."""

    name: str
    type: str
    value: str
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "type": self.type, "value": self.value}
        if self.why:
            out["why"] = self.why
        return out


@dataclass(frozen=True, slots=True)
class MXHost:
    preference: int
    host: str
    addresses: tuple[str, ...]
    #: ``ok`` (has addresses), ``nxdomain``, ``nodata``, ``temperror``.
    status: str


@dataclass(frozen=True, slots=True)
class MXReport:
    hosts: tuple[MXHost, ...]
    null_mx: bool
    #: No MX: RFC 5321 section 5.1 falls back to the domain's own A/AAAA ("implicit MX").
    implicit_addresses: tuple[str, ...] = ()
    temperror: bool = False


@dataclass(frozen=True, slots=True)
class AuthorizedSender:
    """One source of mail the SPF policy authorizes, for the "authorized senders" view."""

    mechanism: str
    #: The record (domain) that carries the mechanism.
    via: str
    provider: str | None
    #: Number of addresses authorized (for ip4/ip6/a/mx as far as known); None when unknowable (exists, ptr).
    addresses: int | None = None


@dataclass(frozen=True, slots=True)
class SPFReport:
    record: str | None
    records: tuple[str, ...] = ()
    lookups: int = 0
    void_lookups: int = 0
    all_qualifier: str | None = None
    senders: tuple[AuthorizedSender, ...] = ()
    #: Total IPv4 / IPv6 addresses authorized by ip4/ip6 mechanisms (the whole tree).
    ipv4_addresses: int = 0
    ipv6_addresses: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DKIMKeyReport:
    selector: str
    name: str
    #: ``ok``, ``missing``, ``revoked``, ``invalid``, ``temperror``.
    status: str
    explicit: bool
    key_type: str | None = None
    bits: int | None = None
    testing: bool = False
    provider: str | None = None
    record: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DMARCReport:
    record: str | None
    #: Where the policy was found (the domain itself, or a parent by tree walk).
    found_at: str | None
    records: tuple[str, ...] = ()
    policy: str | None = None
    subdomain_policy: str | None = None
    pct: int | None = None
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    adkim: str | None = None
    aspf: str | None = None
    error: str | None = None
    #: rua/ruf destinations outside the domain and whether they authorize it (RFC 7489 section 7.1).
    external_destinations: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class AuditReport:
    domain: str
    grade: str
    grade_reason: str
    findings: tuple[Finding, ...]
    recommended_records: tuple[RecommendedRecord, ...]
    rollout: tuple[str, ...]
    mx: MXReport
    spf: SPFReport
    dkim: tuple[DKIMKeyReport, ...]
    dmarc: DMARCReport
    catch_all: Any = None
    no_mail: bool = False
    dns_questions: int = 0
    elapsed: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def worst(self) -> str | None:
        """The most severe severity among the findings (None without findings)."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    def to_json(self) -> dict[str, Any]:
        """The SPEC section 7 JSON object, plus the evidence per area."""
        return {
            "domain": self.domain,
            "grade": self.grade,
            "grade_reason": self.grade_reason,
            "findings": [f.to_json() for f in self.findings],
            "recommended_records": [r.to_json() for r in self.recommended_records],
            "rollout": list(self.rollout),
            "mx": _plain(asdict(self.mx)),
            "spf": _plain(asdict(self.spf)),
            "dkim": [_plain(asdict(k)) for k in self.dkim],
            "dmarc": _plain(asdict(self.dmarc)),
            "catch_all": _plain(asdict(self.catch_all)) if self.catch_all is not None else None,
            "no_mail": self.no_mail,
            "dns_questions": self.dns_questions,
            "elapsed_seconds": round(self.elapsed, 4),
            "notes": list(self.notes),
        }


def _plain(value: Any) -> Any:
    """JSON-native: tuples become lists, all the way down (``to_json`` returns what ``json.dumps`` prints)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
