"""Who operates a sending host: the provider map shipped as package data.

The map (``reports/data/base_reverse_dns_map.csv``, from parsedmarc, Apache-2.0: see
``base_reverse_dns_map.NOTICE``) maps a *base* reverse-DNS domain (``mcsv.net``,
``pphosted.com``) to a service name and a type (``Marketing``, ``Email Security``,
``ISP``, ...).  A host name is looked up by walking its parent domains from the
organizational domain (public suffix + one label) upwards, so ``mail-x.outbound.protection.outlook.com``
finds ``outlook.com``.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from mailwarden.psl import psl_organizational_domain

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
        """The provider of a host or domain name, or ``None`` when the map does not know it."""
        if not host:
            return None
        name = host.strip().lower().rstrip(".")
        if not name or len(name) > 253:
            return None
        found = self.entries.get(name)
        if found is not None:
            return found
        org = psl_organizational_domain(name) or name
        labels = name.split(".")
        org_labels = org.count(".") + 1
        # From the organizational domain down towards the host (most specific entry wins last).
        best = self.entries.get(org)
        for depth in range(org_labels + 1, len(labels)):
            candidate = ".".join(labels[-depth:])
            if candidate in self.entries:
                best = self.entries[candidate]
        return best


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
