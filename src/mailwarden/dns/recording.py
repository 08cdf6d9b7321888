"""Live DNS that writes every answer it used to a snapshot file (``--dns-record``).

A later run with ``--dns FILE`` replays exactly the same answers (SPEC section 4),
so a diagnosis kept in a support ticket can be reproduced after keys rotate.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mailwarden.dns.base import MX, Answer, Rcode, Resolver
from mailwarden.errors import DNSConfigError


def answer_to_snapshot(answer: Answer, snapshot: dict[str, dict[str, Any]]) -> None:
    """Merge one answer into snapshot JSON (SPEC section 4 format)."""
    for alias, target in answer.cname_chain:
        snapshot.setdefault(alias, {})["CNAME"] = [target]
    final = answer.cname_chain[-1][1] if answer.cname_chain else answer.name
    if answer.rcode is Rcode.NXDOMAIN:
        # An absent name is NXDOMAIN; only the CNAME steps above are written.
        return
    entry = snapshot.setdefault(final, {})
    if answer.rcode in (Rcode.TIMEOUT, Rcode.SERVFAIL):
        entry[answer.rdtype] = answer.rcode.value
        return
    if not answer.records:
        return  # NODATA: the name is present without this type
    values: list[Any] = []
    for record in answer.records:
        if isinstance(record, tuple):
            values.append(record[0] if len(record) == 1 else list(record))
        elif isinstance(record, MX):
            values.append(str(record))
        else:
            values.append(record)
    entry[answer.rdtype] = values


class RecordingResolver:
    """Wraps a live :class:`~mailwarden.dns.base.Resolver`; ``aclose()`` writes the snapshot."""

    def __init__(self, inner: Resolver, path: str | Path) -> None:
        self._inner = inner
        self._path = Path(path)
        self.snapshot: dict[str, dict[str, Any]] = {}
        parent = self._path.parent if str(self._path.parent) else Path(".")
        if not parent.is_dir():
            raise DNSConfigError(f"cannot write DNS recording {path}: folder does not exist")

    async def query(self, name: str, rdtype: str) -> Answer:
        answer = await self._inner.query(name, rdtype)
        answer_to_snapshot(answer, self.snapshot)
        return answer

    def restart_deadline(self, *args: Any) -> None:
        restart = getattr(self._inner, "restart_deadline", None)
        if restart is not None:
            restart(*args)

    def write(self) -> None:
        text = json.dumps(self.snapshot, indent=1, sort_keys=True, ensure_ascii=False)
        directory = self._path.parent if str(self._path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=".dns-record-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
            os.replace(tmp, self._path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise DNSConfigError(f"cannot write DNS recording {self._path}: {exc.strerror or exc}") from None

    async def aclose(self) -> None:
        await self._inner.aclose()
        self.write()
