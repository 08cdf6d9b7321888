"""Turn a DNS snapshot (SPEC section 4) into zone texts for the real NSD server,
so a test can ask the same questions live that it answers from the snapshot."""

from __future__ import annotations

from collections import defaultdict


def _quote(chunk: str) -> str:
    return '"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _txt(value: str | list[str]) -> str:
    strings = [value] if isinstance(value, str) else value
    chunks = []
    for s in strings:  # one character-string holds at most 255 octets
        chunks.extend(s[i:i + 255] for i in range(0, max(len(s), 1), 255))
    return " ".join(_quote(c) for c in chunks)


def snapshot_to_zones(snapshot: dict) -> dict[str, str]:
    """One zone per top-level label (``com``, ``example``, ``arpa``); names relative to it.

    Markers (``TIMEOUT``, ``SERVFAIL``) cannot be served by a real server: a snapshot
    that has them is refused.
    """
    zones: dict[str, list[str]] = defaultdict(list)
    for raw_name, types in snapshot.items():
        name = raw_name.rstrip(".").lower()
        origin = name.rsplit(".", 1)[-1]
        owner = name + "."
        for rdtype, values in types.items():
            if isinstance(values, str):
                raise ValueError(f"{name} {rdtype}: {values} cannot be served by a real server")
            for value in values:
                if rdtype == "TXT":
                    rdata = _txt(value)
                elif rdtype == "MX":
                    pref, host = value.split()
                    rdata = f"{pref} {host.rstrip('.')}." if host != "." else f"{pref} ."
                elif rdtype in ("CNAME", "PTR", "NS"):
                    rdata = value.rstrip(".") + "."
                else:
                    rdata = value
                zones[origin].append(f"{owner} 300 IN {rdtype} {rdata}")
    return {origin: "\n".join(lines) for origin, lines in zones.items()}
