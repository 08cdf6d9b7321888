"""DNS foundations: one async :class:`Resolver` interface, three implementations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mailwarden.dns.base import MX, Answer, Rcode, Resolver, normalize_name, reverse_name

#: What ``dns=`` may be (SPEC section 11): a snapshot file, a snapshot dict, a resolver, or None for live DNS.
DNSSource = str | os.PathLike[str] | Mapping[str, Any] | Resolver | None


def make_resolver(
    dns: DNSSource = None,
    nameserver: str | None = None,
    record_file: str | os.PathLike[str] | None = None,
    *,
    timeout: float = 5.0,
    deadline: float | None = 30.0,
) -> Resolver:
    """The resolver for ``dns`` (SPEC sections 3, 4 and 11).

    ``dns``: a snapshot file (``str`` or path-like) or a snapshot dict (never touches
    the network), a :class:`Resolver` (returned as is), or ``None`` for live DNS
    through ``nameserver`` (default: the system's), recording every answer to
    ``record_file`` when given.  A snapshot cannot be combined with the live settings.
    """
    from mailwarden.errors import DNSConfigError

    if isinstance(dns, Resolver):
        return dns
    if dns is not None:
        if record_file is not None or nameserver is not None:
            raise DNSConfigError("a DNS snapshot cannot be combined with a nameserver or a recording")
        from mailwarden.dns.snapshot import SnapshotResolver

        if isinstance(dns, Mapping):
            return SnapshotResolver.from_dict(dns)
        return SnapshotResolver.from_file(dns)
    from mailwarden.dns.live import LiveResolver

    live = LiveResolver(nameserver, timeout=timeout, deadline=deadline)
    if record_file is not None:
        from mailwarden.dns.recording import RecordingResolver

        return RecordingResolver(live, record_file)
    return live


__all__ = ["MX", "Answer", "DNSSource", "Rcode", "Resolver", "make_resolver", "normalize_name", "reverse_name"]
