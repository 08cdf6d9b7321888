"""The one resolver interface every part of mailwarden asks DNS through.

Three implementations share it: :class:`~mailwarden.dns.snapshot.SnapshotResolver`
(SPEC section 4 files), :class:`~mailwarden.dns.live.LiveResolver` (dnspython,
TTL cache, per-query timeout and an overall deadline) and
:class:`~mailwarden.dns.recording.RecordingResolver` (live, writing a snapshot).

Outcomes are values, not exceptions: an :class:`Answer` carries an
:class:`Rcode` that distinguishes NXDOMAIN (the name does not exist), NODATA
(``NOERROR`` with no records of the type), SERVFAIL and TIMEOUT, because the
protocols treat them differently (RFC 7208 section 4.6.4 void lookups vs.
section 5 temperror; RFC 9989 ``np=`` for non-existent domains).
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

#: Record types the engine asks for.
SUPPORTED_TYPES = ("A", "AAAA", "TXT", "MX", "PTR", "CNAME", "NS", "SOA")

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63


class Rcode(enum.Enum):
    """Outcome of one DNS question (RFC 1035 section 4.1.1, plus TIMEOUT)."""

    NOERROR = "NOERROR"
    NXDOMAIN = "NXDOMAIN"
    SERVFAIL = "SERVFAIL"
    TIMEOUT = "TIMEOUT"


@dataclass(frozen=True, slots=True)
class MX:
    """One MX record (RFC 5321 section 5.1); ``exchange == ""`` is the null MX of RFC 7505."""

    preference: int
    exchange: str

    def __str__(self) -> str:
        return f"{self.preference} {self.exchange or '.'}"


#: What ``Answer.records`` holds for each type:
#: TXT -> ``tuple[str, ...]`` per record (its character-strings);
#: MX -> :class:`MX`; A/AAAA -> address text; PTR/CNAME/NS -> host name (no trailing dot).
Record = tuple[str, ...] | MX | str


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question, after CNAME following."""

    name: str
    rdtype: str
    rcode: Rcode
    records: tuple[Record, ...] = ()
    ttl: int = 0
    #: CNAME steps followed to reach the records, as (alias, target) pairs.
    cname_chain: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        """NOERROR, whether or not there are records."""
        return self.rcode is Rcode.NOERROR

    @property
    def nxdomain(self) -> bool:
        return self.rcode is Rcode.NXDOMAIN

    @property
    def nodata(self) -> bool:
        return self.rcode is Rcode.NOERROR and not self.records

    @property
    def void(self) -> bool:
        """NXDOMAIN or NODATA: a "void lookup" in RFC 7208 section 4.6.4."""
        return self.rcode is Rcode.NXDOMAIN or self.nodata

    @property
    def failed(self) -> bool:
        """SERVFAIL or TIMEOUT: the question could not be answered (a temporary error)."""
        return self.rcode in (Rcode.SERVFAIL, Rcode.TIMEOUT)

    def texts(self) -> tuple[str, ...]:
        """TXT records with their character-strings concatenated (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2)."""
        return tuple("".join(r) for r in self.records if isinstance(r, tuple))

    def addresses(self) -> tuple[str, ...]:
        return tuple(r for r in self.records if isinstance(r, str))

    def mx(self) -> tuple[MX, ...]:
        return tuple(r for r in self.records if isinstance(r, MX))


@runtime_checkable
class Resolver(Protocol):
    """Asynchronous DNS lookups: the single interface of the foundations layer."""

    async def query(self, name: str, rdtype: str) -> Answer:
        """Ask for ``rdtype`` records of ``name``; never raises for DNS outcomes."""
        ...

    async def aclose(self) -> None:
        """Release resources and flush recordings."""
        ...


def normalize_name(name: str) -> str:
    """Lower-case, strip one trailing dot, IDNA-encode non-ASCII labels (RFC 5890)."""
    name = name.strip()
    if name.endswith("."):
        name = name[:-1]
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return name.lower()
    return name.lower()


def to_a_label(domain: str) -> str:
    """``domain`` with every Unicode label as its A-label (RFC 5890 section 2.3.2.1, RFC 8616 section 4).

    Authentication looks names up in DNS as A-labels: ``bücher.example`` is
    asked as ``xn--bcher-kva.example``.  ASCII input (and a name IDNA cannot
    encode) is returned unchanged, so it fails later as the invalid name it is.
    """
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def valid_query_name(name: str) -> bool:
    """True when ``name`` can be sent as a DNS question (RFC 1035 section 2.3.4 limits)."""
    if not name or len(name) > MAX_NAME_LENGTH or not name.isascii():
        return False
    return all(0 < len(label) <= MAX_LABEL_LENGTH for label in name.split("."))


def reverse_name(ip: str) -> str:
    """The in-addr.arpa / ip6.arpa name of an address (RFC 1035 section 3.5, RFC 3596 section 2.5)."""
    return ipaddress.ip_address(ip).reverse_pointer


def check_type(rdtype: str) -> str:
    rdtype = rdtype.upper()
    if rdtype not in SUPPORTED_TYPES:
        raise ValueError(f"unsupported DNS record type {rdtype!r}")
    return rdtype
