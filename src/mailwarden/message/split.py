"""One file, several messages: mbox files and digests (SPEC section 3), and input that is no message at all.

:func:`check_is_message` refuses input that cannot be an e-mail message before
anything reads it (UTF-16 text, binary data, text that does not start with a
header field), with a sentence a person can act on.

:func:`split_messages` cuts a file into its messages, in file order:

* an mbox (the ``From sender date`` separator line of the mbox family, RFC 4155
  section 2), cut where such a line starts the file or follows an empty line
  and is itself followed by a header field (a body line that merely starts
  with "From " does not cut);
* a digest (RFC 2046 section 5.1.5: ``multipart/digest``, whose parts are
  ``message/rfc822`` unless they say otherwise) given as the only message.

Everything is bounded: at most :data:`MAX_MESSAGES` messages per file.
"""

from __future__ import annotations

import re

from mailwarden.errors import MessageError
from mailwarden.message.model import normalize_line_endings

#: Messages read from one file; a larger mbox is an input error (split it first).
MAX_MESSAGES = 1000

_POSTMARK = re.compile(rb"(?m)^From [^\s:]{1,320} [ -~]{1,80}\r\n[A-Za-z][A-Za-z0-9-]{0,60}:")
_FIELD_LINE = re.compile(rb"[!-9;-~]{1,200}[ \t]*:")
_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;]{1,200}))', re.I)
_CONTROL = frozenset(set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20)) | {0x7F})


def check_is_message(data: bytes) -> None:
    """Raise :class:`MessageError` when ``data`` cannot be an e-mail message (RFC 5322 section 2.1)."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise MessageError("this file is UTF-16 text, so it does not look like an e-mail message: save the "
                           "message as plain text or UTF-8 (for example with \"show original\" and "
                           "\"download\" in your mail program) and try again")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head and (b"\x00" in head[:200] or sum(1 for b in head if b in _CONTROL) > len(head) // 20):
        raise MessageError("this file holds binary data, so it does not look like an e-mail message: pass "
                           "the message source (\"show original\" in your mail program), saved as text")
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if first.startswith(b"From ") or first.startswith((b" ", b"\t")):
        return
    if first and not _FIELD_LINE.match(first):
        raise MessageError("this does not look like an e-mail message: it does not start with header fields "
                           "such as Received: or From: (pass the full source, \"show original\" in your mail "
                           "program)")


def _looks_utf16(head: bytes) -> bool:
    """Text in UTF-16 without a byte order mark: every other byte is NUL."""
    sample = head[:400]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) * 0.4 or odd.count(0) > len(odd) * 0.4


def split_messages(data: bytes) -> list[bytes]:
    """The messages in ``data`` (an mbox, a digest, or one message), each as raw bytes with CRLF."""
    data = normalize_line_endings(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    starts = [m.start() for m in _POSTMARK.finditer(data)
              if data[max(0, m.start() - 4):m.start()] == b"\r\n\r\n"
              or (m.start() < 16 and not data[:m.start()].strip())]
    if not starts or (starts[0] > 0 and data[:starts[0]].strip()):
        starts = [0, *starts]
    pieces = [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]
    pieces = [p for p in pieces if p.strip()]
    if len(pieces) > MAX_MESSAGES:
        raise MessageError(f"the file holds more than {MAX_MESSAGES} messages; split it into smaller files")
    if len(pieces) == 1:
        return _digest_parts(pieces[0]) or pieces
    return pieces or [data]


def _digest_parts(data: bytes) -> list[bytes]:
    """The messages of a ``multipart/digest`` (RFC 2046 section 5.1.5), or [] when ``data`` is not one."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return []
    header = data[:end + 2].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    ctype = re.search(rb"(?im)^content-type[ \t]*:[ \t]*([^\r\n]{0,2000})", header)
    if ctype is None or not ctype.group(1).lower().lstrip().startswith(b"multipart/digest"):
        return []
    m = _BOUNDARY.search(ctype.group(1).decode("latin-1"))
    if m is None:
        return []
    delimiter = b"\r\n--" + (m.group(1) or m.group(2)).encode("latin-1")
    body = b"\r\n" + data[end + 4:]
    chunks = body.split(delimiter)[1:]
    messages: list[bytes] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.split(b"\r\n", 1)[1] if b"\r\n" in chunk else b""
        message = _part_message(chunk)
        if message is not None:
            messages.append(message)
        if len(messages) > MAX_MESSAGES:
            raise MessageError(f"the digest holds more than {MAX_MESSAGES} messages")
    return messages if len(messages) > 1 else []


def _part_message(part: bytes) -> bytes | None:
    """The message inside one digest part: after its MIME headers, if it has any."""
    if part.startswith(b"\r\n"):
        content = part[2:]
    else:
        end = part.find(b"\r\n\r\n")
        head = part[:end] if end >= 0 else part
        names = [line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")
                 if line and line[:1] not in (b" ", b"\t")]
        if names and all(n.startswith(b"content-") for n in names):
            ctype = re.search(rb"(?im)^content-type[ \t]*:[ \t]*([^\r\n;]+)", head)
            if ctype is not None and ctype.group(1).strip().lower() != b"message/rfc822":
                return None  # the digest's own text (a table of contents)
            content = part[end + 4:] if end >= 0 else b""
        else:
            content = part  # no MIME headers: the part is the message itself
    return content if content.strip() else None
