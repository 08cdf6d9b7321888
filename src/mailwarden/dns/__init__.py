"""DNS foundations: one async :class:`Resolver` interface, three implementations."""

from __future__ import annotations

from mailwarden.dns.base import MX, Answer, Rcode, Resolver, normalize_name, reverse_name


def make_resolver(
    dns_file: str | None = None,
    nameserver: str | None = None,
    record_file: str | None = None,
    *,
    timeout: float = 5.0,
    deadline: float | None = 30.0,
) -> Resolver:
    """The resolver the shared CLI options ask for (SPEC section 3).

    ``--dns`` never touches the network and cannot be combined with the live options.
    """
    from mailwarden.errors import DNSConfigError

    if dns_file is not None:
        if record_file is not None or nameserver is not None:
            raise DNSConfigError("--dns cannot be combined with --nameserver or --dns-record")
        from mailwarden.dns.snapshot import SnapshotResolver

        return SnapshotResolver.from_file(dns_file)
    from mailwarden.dns.live import LiveResolver

    live = LiveResolver(nameserver, timeout=timeout, deadline=deadline)
    if record_file is not None:
        from mailwarden.dns.recording import RecordingResolver

        return RecordingResolver(live, record_file)
    return live


__all__ = ["MX", "Answer", "Rcode", "Resolver", "make_resolver", "normalize_name", "reverse_name"]
