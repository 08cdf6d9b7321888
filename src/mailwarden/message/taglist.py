"""Tag=value lists (RFC 6376 section 3.2), used by DKIM-Signature, DKIM key
records, ARC headers (RFC 8617 section 4.1) and DMARC records (RFC 9989).

Parsing is pure and strict about what the RFC makes an error (a duplicate tag,
a tag without ``=``, an invalid tag name) while tolerant of folding white space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.errors import RecordSyntaxError

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_FWS = re.compile(r"[ \t\r\n]+")


class TagListError(RecordSyntaxError):
    """The text is not a valid tag-list; the message names the offending part."""


@dataclass(frozen=True)
class TagList:
    """An ordered tag-list. Values have folding white space at both ends removed."""

    items: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.items:
            if key == name:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.items)

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.items)


def parse_tag_list(text: str, *, lowercase_names: bool = False, allow_duplicates: bool = False) -> TagList:
    """Parse ``tag=value; tag=value`` (a trailing ``;`` is allowed).

    ``lowercase_names`` folds tag names (DMARC tags are case-insensitive in practice;
    DKIM tags are case-sensitive, RFC 6376 section 3.2).
    """
    items: list[tuple[str, str]] = []
    seen: set[str] = set()
    parts = text.split(";")
    for part in parts:
        if not part.strip(" \t\r\n"):
            continue  # trailing ";" (RFC 6376 section 3.2) or an empty element
        if "=" not in part:
            raise TagListError(f"tag without '=': {part.strip()[:60]!r}")
        name, _, value = part.partition("=")
        name = name.strip(" \t\r\n")
        if lowercase_names:
            name = name.lower()
        if not _TAG_NAME.match(name):
            raise TagListError(f"invalid tag name {name[:40]!r}")
        if name in seen and not allow_duplicates:
            raise TagListError(f"duplicate tag {name!r}")
        seen.add(name)
        items.append((name, value.strip(" \t\r\n")))
    return TagList(tuple(items))


def strip_fws(value: str) -> str:
    """Remove all folding white space (for base64 values such as ``b=`` and ``p=``)."""
    return _FWS.sub("", value)
