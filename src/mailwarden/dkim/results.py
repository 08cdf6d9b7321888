"""DKIM verification results (RFC 6376 section 6.1, result words of RFC 8601 section 2.7.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: result words a signature can get
RESULTS = ("pass", "fail", "neutral", "policy", "temperror", "permerror")


@dataclass(frozen=True)
class DKIMSignatureResult:
    """The outcome of one DKIM-Signature, with the evidence a human needs.

    * ``result``: pass | fail (bad body hash or signature) | neutral (the signature
      does not parse, or is expired) | policy (valid but rsa-sha1, RFC 8301) |
      temperror (DNS failure) | permerror (no usable key: missing, revoked, too short...).
    * ``unsigned_bytes_after_l``: canonical body bytes after the ``l=`` count that
      the signature does not cover (content anyone could have appended).
    * ``unsigned_fields``: signed field names that occur more often in the message
      than ``h=`` lists them (RFC 6376 sections 5.4.2 and 8.15): the extra
      instances - typically a prepended From or Subject, the one a reader sees -
      are not covered by the signature.
    """

    domain: str | None
    selector: str | None
    algorithm: str | None
    result: str
    reason: str | None
    body_length_limited: bool
    key_bits: int | None
    header_b: str | None = None
    identity: str | None = None
    canonicalization: str | None = None
    signed_headers: tuple[str, ...] = ()
    weak_algorithm: bool = False
    key_type: str | None = None
    key_testing: bool = False
    unsigned_bytes_after_l: int | None = None
    timestamp: int | None = None
    expiration: int | None = None
    unsigned_fields: tuple[str, ...] = ()

    @property
    def covers_displayed_from(self) -> bool:
        """False when the message has a From instance this signature does not cover (DKIM replay)."""
        return "from" not in self.unsigned_fields

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "selector": self.selector,
            "algorithm": self.algorithm,
            "result": self.result,
            "reason": self.reason,
            "body_length_limited": self.body_length_limited,
            "key_bits": self.key_bits,
            "key_type": self.key_type,
            "key_testing": self.key_testing,
            "header_b": self.header_b,
            "identity": self.identity,
            "canonicalization": self.canonicalization,
            "signed_headers": list(self.signed_headers),
            "weak_algorithm": self.weak_algorithm,
            "unsigned_bytes_after_l": self.unsigned_bytes_after_l,
            "timestamp": self.timestamp,
            "expiration": self.expiration,
            "unsigned_fields": list(self.unsigned_fields),
        }
