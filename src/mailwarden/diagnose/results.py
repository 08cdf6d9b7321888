"""Frozen results of a diagnosis (SPEC section 6).

:class:`Diagnosis` is what :func:`mailwarden.diagnose.service.diagnose_message`
returns; :meth:`Diagnosis.to_json` is the JSON object of ``mailwarden diagnose
--json`` (``verdict``, ``confidence``, ``summary``, ``evidence``, ``advice``,
``auth`` as ``check`` prints it, plus the trust boundary, look-alikes and the
cross-check with the provider's Authentication-Results).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailwarden.auth.report import AuthReport
from mailwarden.diagnose.lookalike import Lookalike
from mailwarden.message.received import ReceivedHop

VERDICTS = ("spoofed", "authentic", "backscatter", "bounce", "forwarded", "lookalike", "unrelated", "inconclusive")
CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence: which check, its outcome, and a plain sentence."""

    check: str
    result: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "result": self.result, "detail": self.detail}


@dataclass(frozen=True)
class Boundary:
    """Where the owner's provider received the message from the outside world.

    ``hop`` is the Received header written by the provider's inbound server; its
    connecting ``ip``, ``helo`` and the envelope ``mail_from`` feed SPF (RFC 7208
    section 2).  Hops in ``below`` were written by the sending side: evidence only.
    """

    method: str  # trusted-relay | authserv-id | owner-mx | heuristic | none
    hop: ReceivedHop | None
    ip: str | None
    helo: str | None
    mail_from: str | None  # "" for the null sender <>, None when unknown
    receiver: str | None
    header_position: int | None  # index in Message.headers of the boundary Received field
    below: tuple[ReceivedHop, ...] = ()
    note: str = ""

    @property
    def found(self) -> bool:
        return self.hop is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "received_index": self.hop.index if self.hop else None,
            "receiver": self.receiver,
            "ip": self.ip,
            "helo": self.helo,
            "mail_from": self.mail_from,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Our re-verification differs from what the provider recorded at delivery."""

    method: str  # spf | dkim | dmarc | arc
    ours: str
    provider: str
    explanation: str

    def to_json(self) -> dict[str, str]:
        return {"method": self.method, "ours": self.ours, "provider": self.provider,
                "explanation": self.explanation}


#: Internal sending paths -> the ``path`` values of SPEC section 6.
_PATHS = {"provider-submission": "owner-account", "other-account": "other-account",
          "provider-unknown-account": "unknown", "authorized-third-party": "third-party", "forwarder": "forwarder"}


@dataclass(frozen=True)
class Diagnosis:
    """The answer to "was my account used, or was my address forged?"."""

    verdict: str
    confidence: str
    summary: str
    evidence: tuple[Evidence, ...]
    advice: tuple[str, ...]
    auth: AuthReport | None = None  # our one authentication of the message (None only for bounce originals)
    boundary: Boundary | None = None
    sending_path: str | None = None  # provider-submission | authorized-third-party | forwarder | None
    third_party: str | None = None
    lookalikes: tuple[Lookalike, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    missing: tuple[str, ...] = ()
    claimed: tuple[str, ...] = ()  # the owner's identities the message claims
    original: Diagnosis | None = None  # for bounces: the diagnosis of the returned message

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {self.confidence!r}")

    @property
    def path(self) -> str | None:
        """SPEC section 6 ``path`` for ``authentic`` and ``forwarded`` (None for the other verdicts)."""
        if self.verdict not in ("authentic", "forwarded"):
            return None
        return _PATHS.get(self.sending_path or "", "forwarder" if self.verdict == "forwarded" else "unknown")

    def to_json(self) -> dict[str, Any]:
        """The JSON object of SPEC section 6 (with extra fields that help a support agent)."""
        return {
            "verdict": self.verdict,
            "path": self.path,
            "confidence": self.confidence,
            "summary": self.summary,
            "evidence": [e.to_json() for e in self.evidence],
            "advice": list(self.advice),
            "auth": self.auth.to_json() if self.auth is not None else {},
            "sending_path": self.sending_path,
            "third_party": self.third_party,
            "claimed": list(self.claimed),
            "missing": list(self.missing),
            "boundary": self.boundary.to_json() if self.boundary else None,
            "lookalikes": [
                {"kind": x.kind, "address": x.address, "imitates": x.imitates, "detail": x.detail}
                for x in self.lookalikes
            ],
            "disagreements": [d.to_json() for d in self.disagreements],
            "original": self.original.to_json() if self.original else None,
        }
