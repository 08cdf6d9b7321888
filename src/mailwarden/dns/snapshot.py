"""DNS answers from a snapshot file (SPEC section 4): no network, ever.

Rules (each one is tested):

* owner names are case-insensitive and may carry a trailing dot;
* an absent name is NXDOMAIN; a present name without the type is NODATA;
* a TXT record is a string, or a list of strings forming one record;
* a type may map to ``"TIMEOUT"`` or ``"SERVFAIL"`` instead of a list;
* ``MX`` values are ``"PREF HOST"``; ``CNAME`` is followed for other types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailwarden.dns.base import MX, Answer, Rcode, Record, check_type, normalize_name, valid_query_name
from mailwarden.errors import DNSConfigError

MAX_CNAME_CHAIN = 8
SNAPSHOT_TTL = 300
_MARKERS = {"TIMEOUT": Rcode.TIMEOUT, "SERVFAIL": Rcode.SERVFAIL}

Zone = dict[str, dict[str, tuple[Record, ...] | Rcode]]


def parse_mx(text: str) -> MX:
    """``"10 mx.example.com"`` -> :class:`MX`; a host of ``.`` is the null MX."""
    parts = str(text).split()
    if len(parts) != 2 or not parts[0].isdigit():
        raise ValueError(f"MX value {text!r} is not 'PREF HOST'")
    host = normalize_name(parts[1]) if parts[1] != "." else ""
    return MX(int(parts[0]), host)


def _convert(name: str, rdtype: str, value: Any) -> tuple[Record, ...] | Rcode:
    if isinstance(value, str) and value.upper() in _MARKERS:
        return _MARKERS[value.upper()]
    if not isinstance(value, list):
        raise DNSConfigError(f"DNS snapshot: {name} {rdtype} must be a list, \"TIMEOUT\" or \"SERVFAIL\"")
    records: list[Record] = []
    for item in value:
        if rdtype == "TXT":
            if isinstance(item, str):
                records.append((item,))
            elif isinstance(item, list) and all(isinstance(s, str) for s in item):
                records.append(tuple(item))
            else:
                raise DNSConfigError(f"DNS snapshot: {name} TXT entries must be strings or lists of strings")
        elif not isinstance(item, str):
            raise DNSConfigError(f"DNS snapshot: {name} {rdtype} entries must be strings")
        elif rdtype == "MX":
            try:
                records.append(parse_mx(item))
            except ValueError as exc:
                raise DNSConfigError(f"DNS snapshot: {name}: {exc}") from None
        elif rdtype in ("PTR", "CNAME", "NS"):
            records.append(normalize_name(item))
        else:
            records.append(item.strip())
    return tuple(records)


def load_zone(data: Mapping[str, Any]) -> Zone:
    """Validate and index snapshot JSON (already decoded)."""
    if not isinstance(data, Mapping):
        raise DNSConfigError("DNS snapshot must be a JSON object mapping names to records")
    zone: Zone = {}
    for raw_name, types in data.items():
        if not isinstance(types, Mapping):
            raise DNSConfigError(f"DNS snapshot: entry for {raw_name!r} must be an object of record types")
        name = normalize_name(str(raw_name))
        entry = zone.setdefault(name, {})
        for raw_type, value in types.items():
            rdtype = str(raw_type).upper()
            converted = _convert(name, rdtype, value)
            previous = entry.get(rdtype)
            if isinstance(previous, tuple) and isinstance(converted, tuple):
                converted = previous + converted
            entry[rdtype] = converted
    return zone


def load_snapshot_file(path: str | Path) -> Zone:
    try:
        with open(path, "rb") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise DNSConfigError(f"cannot read DNS snapshot {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise DNSConfigError(f"DNS snapshot {path} is not valid JSON: {exc}") from None
    return load_zone(data)


class SnapshotResolver:
    """:class:`~mailwarden.dns.base.Resolver` answering from a snapshot; counts the questions asked."""

    def __init__(self, zone: Zone) -> None:
        self._zone = zone
        # A snapshot never changes, so an answer can be reused for the same question as asked
        # (kept with the normalized question it logs, so a repeat builds no tuple).
        self._answers: dict[tuple[str, str], tuple[Answer, tuple[str, str]]] = {}
        self.queries: list[tuple[str, str]] = []

    @classmethod
    def from_file(cls, path: str | Path) -> SnapshotResolver:
        return cls(load_snapshot_file(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotResolver:
        return cls(load_zone(data))

    def lookup(self, name: str, rdtype: str) -> Answer:
        """Synchronous lookup (the snapshot never waits)."""
        known = self._answers.get((name, rdtype))
        if known is not None:
            self.queries.append(known[1])
            return known[0]
        answer = self._lookup(name, rdtype)
        if len(self._answers) < 100_000:
            self._answers[(name, rdtype)] = (answer, (answer.name, answer.rdtype))
        return answer

    def _lookup(self, name: str, rdtype: str) -> Answer:
        rdtype = check_type(rdtype)
        qname = normalize_name(name)
        self.queries.append((qname, rdtype))
        if not valid_query_name(qname):
            return Answer(qname, rdtype, Rcode.NXDOMAIN)
        chain: list[tuple[str, str]] = []
        current = qname
        while True:
            entry = self._zone.get(current)
            if entry is None:
                return Answer(qname, rdtype, Rcode.NXDOMAIN, cname_chain=tuple(chain))
            value = entry.get(rdtype)
            if value is None and rdtype != "CNAME":
                cname = entry.get("CNAME")
                if isinstance(cname, Rcode):
                    return Answer(qname, rdtype, cname, cname_chain=tuple(chain))
                if cname:
                    target = str(cname[0])
                    chain.append((current, target))
                    if len(chain) > MAX_CNAME_CHAIN or any(target == a for a, _ in chain):
                        return Answer(qname, rdtype, Rcode.SERVFAIL, cname_chain=tuple(chain))
                    current = target
                    continue
            if isinstance(value, Rcode):
                return Answer(qname, rdtype, value, cname_chain=tuple(chain))
            return Answer(qname, rdtype, Rcode.NOERROR, value or (), SNAPSHOT_TTL, tuple(chain))

    async def query(self, name: str, rdtype: str) -> Answer:
        known = self._answers.get((name, rdtype))  # lookup()'s first lines, without a call per query
        if known is not None:
            self.queries.append(known[1])
            return known[0]
        return self.lookup(name, rdtype)

    async def aclose(self) -> None:
        return None
