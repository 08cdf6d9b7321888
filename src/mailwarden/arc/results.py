"""ARC validation results (RFC 8617 section 5.2, cv= values of section 4.1.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArcSignatureCheck:
    """One AS or AMS check: who signed it and how it went."""

    domain: str
    selector: str
    result: str  # pass | fail | temperror | permerror | unchecked
    reason: str | None = None
    key_bits: int | None = None


@dataclass(frozen=True)
class ArcInstanceResult:
    """The evidence for one ARC set."""

    instance: int
    cv: str  # the cv= this hop's ARC-Seal claims
    seal: ArcSignatureCheck
    message_signature: ArcSignatureCheck
    authentication_results: str  # the AAR payload: what this hop saw


@dataclass(frozen=True)
class ARCResult:
    """Chain validation outcome (RFC 8617 section 5.2).

    ``oldest_pass`` is the lowest instance from which every AMS up to the latest
    still validates (0 when all do, None when the chain did not pass).
    """

    cv: str  # pass | fail | none
    instances: int
    failed_instance: int | None = None
    reason: str | None = None
    oldest_pass: int | None = None
    sets: tuple[ArcInstanceResult, ...] = ()

    @property
    def result(self) -> str:
        """The chain validation status (``cv``), under the name every result has."""
        return self.cv

    def to_json(self) -> dict[str, Any]:
        return {
            "cv": self.cv,
            "instances": self.instances,
            "failed_instance": self.failed_instance,
            "reason": self.reason,
            "oldest_pass": self.oldest_pass,
            "sets": [
                {
                    "instance": s.instance,
                    "cv": s.cv,
                    "seal": _check(s.seal),
                    "message_signature": _check(s.message_signature),
                    "authentication_results": s.authentication_results,
                }
                for s in self.sets
            ],
        }


def _check(c: ArcSignatureCheck) -> dict[str, Any]:
    return {"domain": c.domain, "selector": c.selector, "result": c.result, "reason": c.reason,
            "key_bits": c.key_bits}
