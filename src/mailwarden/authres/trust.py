"""Authentication-Results and Received-SPF claims already in a message.

RFC 8601 section 5: a border MTA must not trust, and should remove, results
that carry its own authserv-id but were added before the message reached it
(the OpenDMARC CVE-2019-20790 class: a forged ``Authentication-Results: our-id;
spf=pass`` made DMARC pass).  ``mailwarden check`` computes every result
itself and never reads existing headers; this module names the claims it
ignored, so the output can say that someone tried.

Received-SPF (RFC 7208 section 9.1) is matched on its ``receiver=`` key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailwarden.message.model import Message

_RECEIVER = re.compile(r"(?:^|[\s;(])receiver\s*=\s*\"?([^\s;\")]+)", re.I)
#: At most this many claims are reported.
MAX_CLAIMS = 50


@dataclass(frozen=True)
class Claim:
    """One header that claims to be ours."""

    header: str  # "Authentication-Results" or "Received-SPF"
    position: int  # index among the message's header fields, 0 = topmost
    authserv_id: str
    text: str  # the value, truncated


@dataclass(frozen=True)
class TrustReport:
    """Existing results that name our authserv-id; none of them is trusted."""

    authserv_id: str
    claims: tuple[Claim, ...]
    other_results: int  # A-R / Received-SPF headers of other servers (ignored too)

    @property
    def forged(self) -> bool:
        return bool(self.claims)

    def to_json(self) -> dict[str, object]:
        return {
            "authserv_id": self.authserv_id,
            "ignored_own_claims": [
                {"header": c.header, "position": c.position, "text": c.text} for c in self.claims
            ],
            "ignored_other_results": self.other_results,
        }


def _same_id(a: str, b: str) -> bool:
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()


def untrusted_claims(message: Message, authserv_id: str) -> TrustReport:
    """Every Authentication-Results/Received-SPF field of ``message`` that claims ``authserv_id``.

    All of them were present before our evaluation, so they were added outside
    the trust boundary; the caller must not use them.
    """
    claims: list[Claim] = []
    others = 0
    for position, mine in _result_fields(message, authserv_id):
        if not mine:
            others += 1
        elif len(claims) < MAX_CLAIMS:
            header = message.headers[position]
            claims.append(Claim(header.name, position, authserv_id, header.value[:300]))
    return TrustReport(authserv_id, tuple(claims), others)


def _result_fields(message: Message, authserv_id: str) -> list[tuple[int, bool]]:
    """(position, claims our id) for every Authentication-Results / Received-SPF field."""
    from mailwarden.message.authres import parse_authentication_results

    found: list[tuple[int, bool]] = []
    for position, header in enumerate(message.headers):
        lname = header.lname
        if lname == "authentication-results":
            mine = _same_id(parse_authentication_results(header.value).authserv_id, authserv_id)
        elif lname == "received-spf":
            match = _RECEIVER.search(header.value[:4096])
            mine = bool(match) and _same_id(match.group(1), authserv_id)
        else:
            continue
        found.append((position, mine))
    return found


def without_claims(message: Message, authserv_id: str) -> Message:
    """``message`` with the fields that claim ``authserv_id`` removed (RFC 8601 section 5)."""
    from mailwarden.message.model import Message as _Message

    drop = {position for position, mine in _result_fields(message, authserv_id) if mine}
    if not drop:
        return message
    kept = tuple(h for i, h in enumerate(message.headers) if i not in drop)
    return _Message(kept, message.body, message.defects)
