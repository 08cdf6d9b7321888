"""Enhanced status codes (RFC 3463) and SMTP reply codes (RFC 5321 section 4.2).

:func:`find_status` takes the first plausible ``class.subject.detail`` code out
of free text (an SMTP reply, a Diagnostic-Code), skipping things that merely
look like one (IP addresses, version numbers, dates).
"""

from __future__ import annotations

import re

_STATUS = re.compile(r"(?<![\w.\-/:])([245])\.(\d{1,3})\.(\d{1,3})(?![\w.\-/]*\d)(?!\.\d)")
_STATUS_FIELD = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
_AFTER_REPLY = re.compile(r"(?<![\w.])[245]\d\d[ \-]['\"(\[]?([245])\.(\d{1,3})\.(\d{1,3})(?![\w.\-/]*\d)")
_REPLY = re.compile(r"(?<![\w.\-/:#])([245][0-5][0-9])(?:[ \-]|$)")


def normalize_status(value: str | None) -> str | None:
    """``"5.1.1 (user unknown)"`` -> ``"5.1.1"``; ``None`` when there is no code."""
    if not value:
        return None
    match = _STATUS_FIELD.match(value)
    if not match:
        return None
    return f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"


def find_status(text: str) -> str | None:
    """The first enhanced status code in ``text`` (RFC 3463 section 2)."""
    if not text:
        return None
    for match in _AFTER_REPLY.finditer(text[:20000]):
        if int(match.group(2)) <= 7:
            return f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"
    for match in _STATUS.finditer(text[:20000]):
        subject = int(match.group(2))
        if subject > 7:
            continue
        return f"{match.group(1)}.{subject}.{int(match.group(3))}"
    return None


def find_all_statuses(text: str) -> list[str]:
    found = []
    for match in _STATUS.finditer(text[:20000]):
        if int(match.group(2)) <= 7:
            found.append(f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}")
    return found


def find_reply_code(text: str) -> str | None:
    """The first SMTP reply code (``550``) in ``text``."""
    if not text:
        return None
    match = _REPLY.search(text[:20000])
    return match.group(1) if match else None
