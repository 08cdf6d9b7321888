"""What SPF keeps in the session cache (:class:`mailwarden.cache.TTLCache`).

A long-running process (the mail filter) evaluates the same few policies over
and over; the cache keeps, per lower-case name, the :class:`PolicyLookup` the
TXT lookup and the record selection of RFC 7208 section 4.5 produced (a parsed
:class:`~mailwarden.spf.record.SPFRecord`, or "no record" / "several records"),
and by ``(kind, name, ip version)`` the :class:`AddressSet` that ``a`` and ``mx``
terms resolve to (sections 5.3/5.4: the MX names' addresses, already converted
for matching), for as long as the DNS TTL allows (the smallest TTL involved).
Temporary DNS failures are never cached.
"""

from __future__ import annotations

from typing import NamedTuple

from mailwarden.spf.record import SPFRecord


class PolicyLookup(NamedTuple):
    """The outcome of fetching a name's SPF policy (section 4.5); immutable."""

    status: str  # "ok", "none" (no record / NXDOMAIN), "multiple"
    record: SPFRecord | None = None
    #: The name does not exist (NXDOMAIN).
    nxdomain: bool = False
    #: The TXT query found nothing at all (NXDOMAIN or NODATA: a void lookup, section 4.6.4).
    void: bool = False


class AddressSet(NamedTuple):
    """The addresses an ``a`` or ``mx`` target resolves to, as integers (sections 5.3, 5.4); immutable."""

    addresses: frozenset[int]
    #: The term's own query answered NXDOMAIN or no records (a void lookup, section 4.6.4).
    void: bool = False
    #: ``mx`` only: how many MX records there were (more than 10 is a permerror).
    mx_count: int = 0


#: Entries larger than these are not cached (a hostile policy cannot make the cache huge).
MAX_CACHED_RECORD = 4096
MAX_CACHED_ADDRESSES = 256


def cacheable(value: PolicyLookup | AddressSet) -> bool:
    """Small enough to keep in the session cache (:mod:`mailwarden.cache`)."""
    if isinstance(value, AddressSet):
        return len(value.addresses) <= MAX_CACHED_ADDRESSES
    return value.record is None or len(value.record.text) <= MAX_CACHED_RECORD
