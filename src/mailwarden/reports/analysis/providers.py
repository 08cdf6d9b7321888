"""Who operates a sending host: the provider map shipped as package data.

The map (``reports/data/base_reverse_dns_map.csv``, from parsedmarc, Apache-2.0: see
``base_reverse_dns_map.NOTICE``) maps a *base* reverse-DNS domain (``mcsv.net``,
``pphosted.com``) to a service name and a type (``Marketing``, ``Email Security``,
``ISP``, ...).  A host name is looked up by walking up its parent domains, so
``mail-x.outbound.protection.outlook.com`` finds ``outlook.com``.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

#: Service types whose mail, when it is not aligned, is most likely the owner's own
#: mail sent through a service that was never set up to sign or use the owner's domain.
SENDING_SERVICE_TYPES = frozenset({"Email Provider", "Marketing", "SaaS", "PaaS", "IaaS"})
#: Service types that relay other people's mail onwards (security gateways,
#: forwarding and mailbox services): unaligned mail from them is usually forwarded.
FORWARDING_TYPES = frozenset({"Email Security", "MSSP"})
#: Forwarding services by base domain (not typed as such in the upstream map).
FORWARDING_DOMAINS = frozenset({
    "pobox.com", "forwardemail.net", "improvmx.com", "simplelogin.co", "duck.com",
    "mailroute.net", "listserv.net", "groups.io", "freelists.org",
})


#: Most answers memoized per map.
MAX_CACHE = 100_000
_MISSING = object()


@dataclass(frozen=True)
class Provider:
    """A known service: its base domain, its name and its type as the map gives them."""

    domain: str
    name: str
    type: str

    @property
    def sends_mail(self) -> bool:
        return self.type in SENDING_SERVICE_TYPES

    @property
    def forwards_mail(self) -> bool:
        return self.type in FORWARDING_TYPES or self.domain in FORWARDING_DOMAINS

    def to_json(self) -> dict[str, str]:
        return {"domain": self.domain, "name": self.name, "type": self.type}


class ProviderMap:
    """Base domain -> :class:`Provider`."""

    def __init__(self, entries: dict[str, Provider]) -> None:
        self.entries = entries
        self.cache: dict[str, Provider | None] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_csv(cls, text: str) -> ProviderMap:
        entries: dict[str, Provider] = {}
        for row in csv.DictReader(io.StringIO(text)):
            domain = (row.get("base_reverse_dns") or "").strip().lower().rstrip(".")
            name = (row.get("name") or "").strip()
            kind = _canonical_type((row.get("type") or "").strip())
            if domain and name:
                entries[domain] = Provider(domain, name, kind)
        return cls(entries)

    def lookup(self, host: str | None) -> Provider | None:
        """The provider of a host or domain name, or ``None`` when the map does not know it.

        The most specific entry wins: ``a.b.example.net`` is looked up as itself, then
        ``b.example.net``, then ``example.net`` (never a single label).  Answers are memoized.
        """
        if not host:
            return None
        found = self.cache.get(host, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        name = host.strip().lower().rstrip(".")
        result: Provider | None = None
        if name and len(name) <= 253:
            labels = name.split(".")
            for start in range(max(0, len(labels) - 12), len(labels) - 1):
                result = self.entries.get(".".join(labels[start:]))
                if result is not None:
                    break
        if len(self.cache) < MAX_CACHE:
            self.cache[host] = result
        return result


def _canonical_type(kind: str) -> str:
    """Types as upstream's README lists them (a few rows differ only in case)."""
    for known in SENDING_SERVICE_TYPES | FORWARDING_TYPES | {"Real Estate", "Web Host", "ISP"}:
        if kind.lower() == known.lower():
            return known
    return kind[:1].upper() + kind[1:] if kind else "Unknown"


@functools.cache
def default_map() -> ProviderMap:
    """The shipped provider map (loaded once)."""
    text = resources.files("mailwarden.reports").joinpath("data/base_reverse_dns_map.csv").read_text("utf-8")
    return ProviderMap.from_csv(text)
