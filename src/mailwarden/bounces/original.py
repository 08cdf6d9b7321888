"""Extraction of the returned original message from a bounce.

Where it is found, in order (RFC 3464 section 2, RFC 6522 section 3):

1. a ``message/rfc822`` or ``message/global`` (RFC 6533 section 6.3) part:
   headers and body;
2. a ``text/rfc822-headers`` or ``message/global-headers`` part: the header
   section only;
3. non-standard bounces: the text after a marker line such as
   ``--- Below this line is a copy of the message.`` (qmail),
   ``------ This is a copy of the message, including all the headers.``
   (Exim) or ``----- Original message -----``, when it starts with header
   fields.

The original is parsed with :func:`mailwarden.message.parse_message`, so the
diagnosis service can re-verify its DKIM signatures and read its Received
chain from the raw bytes.
"""

from __future__ import annotations

import re

from mailwarden.bounces.mime import Part
from mailwarden.bounces.results import OriginalMessage
from mailwarden.errors import MessageError
from mailwarden.message import Message, parse_message

_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}|={2,}|\*{2,}|_{2,})?[ \t]*(?:"
    r"below this line is a copy of the message|this is a copy of the message|"
    r"original message(?: follows| headers?)?|returned message|"
    r"(?:un)?delivered message(?: follows)?|undelivered message headers|"
    r"message headers follow|"
    r"headers of the original message|copy of (?:the )?original message|"
    r"included is a copy of|text of the (?:original )?message|message (?:header|text|body) follows|"
    r"original message header|returned mail follows|start of returned message|"
    r"the header of the original message is following|"
    r"a copy of the original message below this line"
    r")[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,60}:[ \t]?\S", re.MULTILINE)
_ORIGINAL_FIELDS = ("from", "to", "subject", "message-id", "date", "received", "return-path",
                    "dkim-signature", "mime-version", "content-type", "x-mailer", "reply-to", "cc")


def _summary(message: Message | None, source: str, body_returned: bool) -> OriginalMessage:
    if message is None:
        return OriginalMessage(None, None, None, None, False, False, source, None)
    froms = message.from_addresses
    tos = message.addresses("To")
    found = any(message.get(name) is not None for name in _ORIGINAL_FIELDS)
    envelope = message.return_path
    return OriginalMessage(
        from_=froms[0].address if froms else None,
        to=tos[0].address if tos else None,
        subject=message.subject,
        message_id=message.message_id,
        headers_found=found,
        body_returned=body_returned and message.body is not None,
        source=source,
        message=message,
        envelope_from=envelope if envelope else None,
    )


def _parse(data: bytes) -> Message | None:
    try:
        return parse_message(data)
    except MessageError:
        return None


def from_parts(parts: tuple[Part, ...]) -> OriginalMessage | None:
    """The returned original from a report's MIME parts (cases 1 and 2)."""
    for part in parts:
        if part.mime_type in ("message/rfc822", "message/global") and part.depth == 0 and part.message:
            return _summary(part.message, part.mime_type, True)
    for part in parts:
        if part.mime_type in ("text/rfc822-headers", "message/global-headers") and part.depth == 0:
            text = (part.text or "").lstrip("\r\n")
            message = _parse(text.encode("utf-8", "replace")) if text.strip() else None
            if message is not None:
                return _summary(message, part.mime_type, False)
    return None


def from_text(text: str) -> tuple[OriginalMessage | None, int]:
    """The original inlined after a marker in a non-standard bounce (case 3).

    Returns the original (or ``None``) and the offset in ``text`` where the
    returned message begins (``len(text)`` when no marker was found), so that
    the caller does not mistake its headers for failed recipients.
    """
    for match in _MARKER.finditer(text):
        rest = text[match.end():].lstrip("\r\n")
        # Skip a blank line or a second rule line before the headers.
        rest = re.sub(r"^[ \t]*[-=_*]{3,}[^\n]*\n", "", rest).lstrip("\n")
        head = rest[:2000]
        if not _HEADER_LINE.match(head):
            return None, match.start()
        cleaned = re.sub(r"(?m)^[ \t]{1,8}(?=[A-Za-z][A-Za-z0-9-]*:)", "", rest) if rest[:1] in " \t" else rest
        message = _parse(cleaned.encode("utf-8", "replace"))
        if message is None:
            return None, match.start()
        return _summary(message, "inline-text", message.body is not None), match.start()
    return None, len(text)
