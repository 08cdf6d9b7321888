"""Public-suffix and organizational-domain look-ups (RFC 7489 section 3.2).

Algorithm of https://publicsuffix.org/list/ (the longest matching rule, ``*``
wildcards, ``!`` exceptions, an implicit ``*`` rule for unlisted TLDs) as
implemented by the ``publicsuffixlist`` package; this module adds the input
normalisation DMARC needs (case, one trailing dot, IDN U-labels or A-labels,
rejecting empty labels) and caches the parsed list.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from mailwarden.errors import InputError

_LOCK = threading.Lock()


class SuffixList:
    """A loaded Public Suffix List (ICANN and private sections)."""

    def __init__(self, source: bytes | None = None, *, name: str = "publicsuffixlist package") -> None:
        from publicsuffixlist import PublicSuffixList

        self.name = name
        if source is None:
            self._psl = PublicSuffixList()
        else:
            self._psl = PublicSuffixList(source.decode("utf-8", "replace").splitlines())
        self._org = lru_cache(maxsize=4096)(self._organizational_domain)

    @staticmethod
    def _normalize(domain: str | None) -> str | None:
        if not domain:
            return None
        domain = domain.strip().lower()
        if domain.endswith("."):
            domain = domain[:-1]
        if not domain or domain.startswith(".") or ".." in domain or len(domain) > 1024:
            return None
        return domain

    def public_suffix(self, domain: str | None) -> str | None:
        """The public suffix of ``domain`` (``co.uk`` for ``www.example.co.uk``)."""
        name = self._normalize(domain)
        if name is None:
            return None
        return self._psl.publicsuffix(name, accept_unknown=True)

    def _organizational_domain(self, name: str) -> str | None:
        return self._psl.privatesuffix(name, accept_unknown=True)

    def organizational_domain(self, domain: str | None) -> str | None:
        """The registrable domain: public suffix plus one label; ``None`` when
        ``domain`` is itself a public suffix or not a usable name."""
        name = self._normalize(domain)
        if name is None:
            return None
        return self._org(name)


def load_list(path: str | Path) -> SuffixList:
    """A :class:`SuffixList` read from a ``public_suffix_list.dat`` file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read public suffix list {path}: {exc.strerror or exc}") from None
    return SuffixList(data, name=str(path))


_DEFAULT: SuffixList | None = None


def default_list() -> SuffixList:
    """The list shipped with the ``publicsuffixlist`` package, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = SuffixList()
    return _DEFAULT


def psl_organizational_domain(domain: str | None, suffixes: SuffixList | None = None) -> str | None:
    """RFC 7489 section 3.2 Organizational Domain of ``domain`` by the Public Suffix List
    (``None`` for a public suffix).  RFC 9989's tree walk is
    :func:`mailwarden.dmarc.discovery.tree_walk_organizational_domain`; alignment picks
    one by mode (:mod:`mailwarden.dmarc.alignment`)."""
    return (suffixes or default_list()).organizational_domain(domain)


def host_organization(host: str | None) -> str | None:
    """Which organization runs a host, to group a provider's servers: its registrable domain,
    or the name itself when the list has none.  Not DMARC identifier alignment (that is
    :class:`mailwarden.dmarc.alignment.Aligner`'s, by mode)."""
    if not host:
        return None
    from mailwarden.dns.base import to_a_label

    name = to_a_label(host.lower().rstrip("."))  # RFC 8616: compare internationalized names as A-labels
    return psl_organizational_domain(name) or name


def public_suffix(domain: str | None, suffixes: SuffixList | None = None) -> str | None:
    return (suffixes or default_list()).public_suffix(domain)
