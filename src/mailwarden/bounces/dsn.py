"""Parsing of ``message/delivery-status`` bodies (RFC 3464 section 2, RFC 6533 section 6).

The body is a per-message block of fields followed by one block per recipient,
separated by blank lines. Fields are ``Name: value`` with folding; typed values
(``rfc822; user@example.com``, ``smtp; 550 5.1.1 ...``, ``utf-8; ...``) keep
their type in :class:`DsnRecipient`. RFC 6533 ``utf-8`` addresses may carry
``\\x{HHHH}`` escapes (xtext, RFC 6533 section 3), which are decoded.

Bounded: at most :data:`MAX_RECIPIENTS` recipient blocks are returned;
``DeliveryStatus.total_recipients`` counts them all (cheaply, by block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.bounces.status import find_status, normalize_status

MAX_RECIPIENTS = 1000
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_XTEXT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_PLAIN = re.compile(r"[^@\s<>/]+@[^@\s<>/]+\.[^@\s<>/]+")
_PLUS_HEX = re.compile(r"\+([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class DsnRecipient:
    """One per-recipient block (RFC 3464 section 2.3)."""

    final_recipient: str | None
    original_recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None
    diagnostic_type: str | None
    remote_mta: str | None
    fields: tuple[tuple[str, str], ...]

    @property
    def address(self) -> str | None:
        """The address the sender used (Original-Recipient, RFC 3464 section 2.3.1) when it
        is a plain Internet address; otherwise the Final-Recipient."""
        if self.original_recipient and _PLAIN.fullmatch(self.original_recipient):
            return self.original_recipient
        return self.final_recipient or self.original_recipient


@dataclass(frozen=True)
class DeliveryStatus:
    """A parsed delivery-status body."""

    per_message: tuple[tuple[str, str], ...]
    recipients: tuple[DsnRecipient, ...]
    total_recipients: int

    def message_field(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.per_message:
            if key == lname:
                return value
        return None


def _blocks(text: str) -> list[list[str]]:
    """Split into blocks of unfolded ``name: value`` lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        if line[:1] in (" ", "\t") and current:
            current[-1] += " " + line.strip()
        else:
            current.append(line.strip())
    if current:
        blocks.append(current)
    return blocks


def _fields(block: list[str]) -> list[tuple[str, str]]:
    out = []
    for line in block:
        match = _FIELD.match(line)
        if match:
            out.append((match.group(1).lower(), match.group(2).strip()))
    return out


def strip_type(value: str) -> tuple[str | None, str]:
    """``"rfc822; a@b"`` -> ``("rfc822", "a@b")``; no type -> ``(None, value)``."""
    if ";" in value:
        head, rest = value.split(";", 1)
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,30}", head.strip()):
            return head.strip().lower(), rest.strip()
    return None, value.strip()


def clean_address(value: str, addr_type: str | None = None) -> str:
    """An address from a recipient field: brackets and quotes off, xtext decoded."""
    text = value.strip()
    if addr_type == "utf-8":
        text = _XTEXT.sub(lambda m: chr(int(m.group(1), 16)), text)
    elif "+" in text and addr_type in ("rfc822", None) and re.search(r"\+[0-9A-F]{2}", text):
        text = _PLUS_HEX.sub(lambda m: chr(int(m.group(1), 16)), text)
    match = re.search(r"<([^<>\s]+@[^<>\s]+)>", text)
    if match:
        text = match.group(1)
    text = text.strip().strip("<>\"' ").strip()
    if " " in text:
        candidates = [w for w in text.split() if "@" in w]
        if candidates:
            text = candidates[0].strip("<>\"'(),;")
    return text


def _recipient(fields: list[tuple[str, str]]) -> DsnRecipient | None:
    values: dict[str, str] = {}
    for key, value in fields:
        values.setdefault(key, value)
    final = values.get("final-recipient") or values.get("x-actual-recipient")
    original = values.get("original-recipient")
    if not final and not original:
        return None
    final_addr = clean_address(*reversed(strip_type(final))) if final else None
    orig_addr = clean_address(*reversed(strip_type(original))) if original else None
    diag_type, diagnostic = strip_type(values["diagnostic-code"]) if "diagnostic-code" in values else (None, None)
    status = normalize_status(values.get("status"))
    action = (values.get("action") or "").strip().lower().split()[0] if values.get("action", "").strip() else None
    remote = strip_type(values["remote-mta"])[1] if "remote-mta" in values else None
    return DsnRecipient(
        final_recipient=final_addr or None,
        original_recipient=orig_addr or None,
        action=action,
        status=status,
        diagnostic=diagnostic or None,
        diagnostic_type=diag_type,
        remote_mta=remote,
        fields=tuple(fields),
    )


def _split_glued(blocks: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Split blocks where an MTA omitted the blank line between two recipients."""
    out: list[list[tuple[str, str]]] = []
    for block in blocks:
        current: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, value in block:
            if key in ("final-recipient", "original-recipient") and key in seen:
                out.append(current)
                current, seen = [], set()
            current.append((key, value))
            seen.add(key)
        if current:
            out.append(current)
    return out


def parse_delivery_status(text: str) -> DeliveryStatus:
    """Parse a delivery-status body (RFC 3464 section 2.1).

    The first block is per-message unless it already names a recipient (some
    MTAs omit it). Blocks without a recipient field are merged into the
    preceding recipient's block (a stray blank line inside a block).
    """
    blocks = [_fields(b) for b in _blocks(text)]
    blocks = [b for b in blocks if b]
    per_message: list[tuple[str, str]] = []
    if blocks and not any(k in ("final-recipient", "original-recipient") for k, _ in blocks[0]):
        per_message = blocks.pop(0)
    recipients: list[DsnRecipient] = []
    total = 0
    merged: list[list[tuple[str, str]]] = []
    for block in _split_glued(blocks):
        names = {k for k, _ in block}
        if names & {"final-recipient", "original-recipient", "x-actual-recipient"} or not merged:
            merged.append(list(block))
        elif len(merged[-1]) < 200:
            merged[-1].extend(block)
    for block in merged:
        rec = _recipient(block)
        if rec is None:
            continue
        total += 1
        if len(recipients) < MAX_RECIPIENTS:
            recipients.append(rec)
    return DeliveryStatus(tuple(per_message), tuple(recipients), total)


def recipient_status(rec: DsnRecipient) -> str | None:
    """The most specific status: the Status field, or one found in the diagnostic text."""
    from_diag = find_status(rec.diagnostic or "")
    if rec.status is None:
        return from_diag
    if from_diag and from_diag[0] == rec.status[0] and not from_diag.endswith(".0.0"):
        return from_diag
    return rec.status
