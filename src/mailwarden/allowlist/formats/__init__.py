"""One parser per allow-list format; each returns a :class:`~mailwarden.allowlist.results.ParsedAllowlist`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailwarden.allowlist.results import ParsedAllowlist

FORMATS: tuple[str, ...] = ("plain", "spamassassin", "postfix", "rspamd", "sieve", "csv")


def parser(name: str) -> Callable[..., ParsedAllowlist]:
    """The ``parse(lines, keep=None)`` function of format ``name``."""
    if name not in FORMATS:
        raise KeyError(name)
    return importlib.import_module(f"mailwarden.allowlist.formats.{name}").parse
