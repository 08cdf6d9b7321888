"""In-memory DNS for the reference tools, from the same ``dns.json`` mailwarden's
snapshot resolver reads (SPEC section 4 format), so no tool pays network cost.

* dkimpy: ``dnsfunc(name: bytes) -> bytes | None`` (``DKIM.verify(dnsfunc=...)``);
* pyspf: a replacement for ``spf.DNSLookup(name, qtype, strict, timeout)``;
* authheaders: one ``dnsfunc`` for both DKIM (bytes in, bytes out) and DMARC
  (str in, record text out, the convention of its test suite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class MemoryDNS:
    """Answers from a snapshot dict; names are case-insensitive, trailing dot optional."""

    def __init__(self, zone: dict[str, dict[str, Any]]) -> None:
        self.zone = {name.lower().rstrip("."): types for name, types in zone.items()}
        self.queries = 0

    @classmethod
    def from_file(cls, path: Path) -> MemoryDNS:
        return cls(json.loads(Path(path).read_text()))

    def txt(self, name: str) -> list[str]:
        self.queries += 1
        records = self.zone.get(name.lower().rstrip("."), {}).get("TXT") or []
        return ["".join(r) if isinstance(r, list) else r for r in records]

    def dkimpy_dnsfunc(self, name: bytes, timeout: float = 5) -> bytes | None:
        texts = self.txt(name.decode("ascii", "replace"))
        return texts[0].encode() if texts else None

    def authheaders_dnsfunc(self, name: bytes | str, timeout: float = 5) -> bytes | str | None:
        if isinstance(name, bytes):
            return self.dkimpy_dnsfunc(name, timeout)
        texts = [t for t in self.txt(name) if t.startswith("v=DMARC1")] or self.txt(name)
        return texts[0] if texts else None

    def pyspf_lookup(self, name: str, qtype: str, *_: Any, **__: Any) -> list[tuple[tuple[str, str], Any]]:
        """Same shape as ``spf.DNSLookup_dnspython``: ``[((name, type), value), ...]``."""
        self.queries += 1
        key = name.lower().rstrip(".")
        records = self.zone.get(key, {}).get(qtype) or []
        out: list[tuple[tuple[str, str], Any]] = []
        for r in records:
            if qtype == "TXT":
                parts = r if isinstance(r, list) else [r]
                out.append(((key, qtype), tuple(p.encode() for p in parts)))
            elif qtype == "MX":
                pref, host = r.split()
                out.append(((key, qtype), (int(pref), host)))
            else:
                out.append(((key, qtype), r))
        return out
