"""Optional country and network owner of an address from a MaxMind DB file (``--geoip FILE``).

Reads GeoLite2/GeoIP2 Country, City and ASN databases and IPinfo Lite through
``maxminddb`` (an optional dependency: ``pip install mailwarden[geoip]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailwarden.errors import InputError


@dataclass(frozen=True)
class GeoInfo:
    country: str | None
    asn: int | None
    as_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {"country": self.country, "asn": self.asn, "as_name": self.as_name}


class GeoIP:
    """A MaxMind DB reader; :meth:`lookup` never raises for a bad address."""

    def __init__(self, path: str) -> None:
        try:
            import maxminddb
        except ImportError:
            raise InputError("--geoip needs the maxminddb package (pip install 'mailwarden[geoip]')") from None
        try:
            self.reader = maxminddb.open_database(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"--geoip: cannot read MaxMind database {path}: {exc}") from None

    def lookup(self, ip: str) -> GeoInfo | None:
        try:
            data = self.reader.get(ip)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        country = data.get("country")
        code = country.get("iso_code") if isinstance(country, dict) else data.get("country_code")
        asn = data.get("autonomous_system_number", data.get("asn"))
        if isinstance(asn, str) and asn.upper().startswith("AS"):
            asn = asn[2:]
        try:
            asn = int(asn) if asn is not None else None
        except (TypeError, ValueError):
            asn = None
        name = data.get("autonomous_system_organization", data.get("as_name"))
        return GeoInfo(code if isinstance(code, str) else None, asn, name if isinstance(name, str) else None)

    def close(self) -> None:
        self.reader.close()
