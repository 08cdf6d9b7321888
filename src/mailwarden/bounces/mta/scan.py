"""Failed recipients of a non-standard bounce, found in its human-readable text.

The text before the returned original is read line by line. An address is a
failed recipient when it appears in one of the shapes MTAs use to list them:

* alone on a line, possibly in ``<>`` and followed by ``:`` (qmail, Postfix,
  Exim's indented list, Gmail's indented address);
* ``<addr>: reason`` (Postfix/qmail with the reason on the same line);
* ``addr... reason`` (Sendmail);
* ``RCPT TO:<addr>`` in an SMTP transcript, and ``Failed address:``,
  ``Recipient address:``, ``Original-Recipient:`` style labels;
* a sentence naming it ("unable to deliver your message to addr",
  "Quota violation for addr", "Unknown user: addr", ...).

Addresses of the bounce itself (its From/To/Return-Path), of mail systems
(``postmaster``, ``MAILER-DAEMON``) and Message-IDs are not recipients.
The lines after the address (up to the next blank line or address) are its
diagnostic. Bounded: the first :data:`MAX_TEXT` characters are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

MAX_TEXT = 200_000
MAX_FOUND = 1000

# The domain ends where the name ends: a following "." is sentence punctuation, never a cut
# between two labels ("to <a@b.example.jp>" must not give "a@b.example").
_ADDR = (r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}@(?:[A-Za-z0-9\-]{1,63}\.)+[A-Za-z0-9\-]{2,63}"
         r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9\-])")
_ADDR_RE = re.compile(_ADDR)
_B = r"^\s*(?:[*\-\u2022>|]+\s*)?\[?(?:SMTP:)?"  # list bullets and quote marks before an address
# (pattern, strong): a strong form names a recipient by its shape alone; a weak
# one (a sentence) is ignored when the address is the bounce's own or the original's sender.
_FORMS: list[tuple[str, bool]] = [
    # alone on a line: qmail/Postfix "<a@b>:", Exim "  a@b", Gmail "     a@b"
    (rf"{_B}(?:[\"'][^\"']*[\"']\s*)?[\"']?<?(?:mailto:)?({_ADDR})>?[\"']?\s*:?\s*"
     rf"(?:\((?:generated from|expanded from|ultimately generated from)[^)]*\))?\s*:?\s*$", True),
    # "<a@b>: reason" or "a@b: reason"
    (rf"{_B}<({_ADDR})>\]?\s*:\s*(?=\S)", True),
    (rf"{_B}({_ADDR})\]?\s*:\s+(?=\S)", True),
    (rf"^\s*(?:undeliverable|undelivered|failed|returned)\s+to:?\s+<?({_ADDR})>?", True),
    # Sendmail "a@b... reason" / "<a@b>... reason"
    (rf"^\s*(?:\d{{3}}[ -](?:\d\.\d{{1,3}}\.\d{{1,3}} )?)?<?({_ADDR})>?\s*\.\.\.\s", True),
    # "(generated from a@b)", "(expanded from: a@b)", "(Originally addressed to a@b)"
    (rf"\((?:generated|expanded|ultimately generated) from:?\s*<?({_ADDR})>?\)", True),
    (rf"originally addressed to:?\s*<?({_ADDR})>?", True),
    # SMTP transcripts, X.400 gateways and labels
    (rf"\bRCPT TO:\s*<({_ADDR})>", True),
    (rf"\b(?:SMTP|RFC-?822)[=:]<?({_ADDR})>?", True),
    (rf"^[^:@<>]{{0,50}}:\s*[\[<\"']?({_ADDR})[\]>\"']?\s*$", True),
    (rf"(?:mailbox|address|recipient|user)\s+<?({_ADDR})>?\s+(?:is|does|was|has)\b", False),
    (rf"^\s*(?:[\w-]+[ \t]+){{0,3}}(?:address|recipients?|rcpt|mailbox|destination|userid|user|e-?mail|for)"
     rf"(?:[ -]address)?\s*(?:\(es\)|s)?\s*[:=]\s*(?:rfc822;\s*)?[\"']?<?({_ADDR})>?", True),
    (rf"^\s*(?:unknown user|user unknown|no such user|invalid recipient|undeliverable to|failed to deliver to|"
     rf"could not deliver to|delivery failed for|mailbox unavailable|recipient unknown)\s*[:\-]?\s*<?({_ADDR})>?", True),
    (rf"(?:deliver(?:y of)?|delivered|send|sent|message|mail|addressed) (?:your message |the message |mail |e-?mail )?to"
     rf"(?: this address)?\s+[\"']?<?({_ADDR})>?[\"']?"
     rf"(?:\s+(?:has|for|failed|was|could|cannot|is|because|due)|\s*[:,.(]|\s*$)", False),
    (rf"(?:for|to) (?:recipient |address |user )?<?({_ADDR})>?\s*(?:failed|has failed|was rejected|"
     rf"could not|cannot|is unknown|does not exist|not found|bounced)", False),
    (rf"(?:quota (?:violation|exceeded)|mailbox (?:is )?full|over quota|user unknown|unknown user|"
     rf"no such (?:user|mailbox)|does not exist|account (?:is )?disabled)\s*(?:for|:)?\s*<?({_ADDR})>?", False),
    (rf"{_B}<?({_ADDR})>?\s+(?:\d{{3}}\b|#\d|\[|\(|\"|-)", True),
    (rf"^\s*<?({_ADDR})>?\s+on\s+\w{{3}},", True),
    (rf"^\s*\S.*?\b<({_ADDR})>\s*$", False),
]


@cache
def _line_forms() -> list[tuple[re.Pattern[str], bool]]:
    """The compiled forms, built on the first non-standard bounce (a DSN never needs them)."""
    return [(re.compile(p, re.IGNORECASE), strong) for p, strong in _FORMS]

_SKIP_LOCAL = re.compile(r"^(?:mailer-daemon|postmaster|mailer_daemon|mail-daemon|root|abuse|hostmaster|noreply|"
                         r"no-reply|bounces?|daemon)$", re.IGNORECASE)
_STATUS_LINE = re.compile(r"^\s*(?:-{3,}|={3,}|\*{3,}|_{3,})")
_MSGID_CONTEXT = re.compile(r"message-?id|references|in-reply-to|<[^>]*@[^>]*>\s*$", re.IGNORECASE)
_TO_LINE = re.compile(r"^\s*(?:To|Cc)\s*:", re.IGNORECASE)
_HEADERISH = re.compile(r"^\s*(?:From|(?:Original[- ])?Sender|Reply-To|Return-Path|Message-ID|In-Reply-To|References|Date|"
                        r"Cc|Bcc|Errors-To|X-[A-Za-z-]+|Delivered-To|Received|DKIM-Signature|"
                        r"MAIL FROM|Envelope-From|Mail from)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    address: str
    diagnostic: str
    line: int


def _context(lines: list[str], index: int, first_rest: str) -> str:
    """The reason text belonging to the address on ``lines[index]``."""
    out = [first_rest.strip()] if first_rest.strip() else []
    for line in lines[index + 1 : index + 8]:
        stripped = line.strip()
        if not stripped:
            if out and not out[-1].endswith(":"):
                break  # the paragraph ended; a label such as "because:" introduces the next one
            continue
        if _STATUS_LINE.match(stripped):
            break
        if _ADDR_RE.search(stripped) and out and _line_forms()[0][0].match(line):
            break
        out.append(stripped)
    return " ".join(out)[:1000]


def scan_recipients(text: str, exclude: set[str]) -> tuple[list[Found], int]:
    """Failed recipients named in ``text``; returns (found, total seen).

    ``exclude`` holds lower-cased addresses that are not recipients (the
    bounce's own From/To, the original's sender).
    """
    lines = text[:MAX_TEXT].split("\n")
    found: dict[str, Found] = {}
    to_lines: list[Found] = []
    total = 0
    for index, line in enumerate(lines):
        if "@" not in line or len(line) > 2000:
            continue
        if _TO_LINE.match(line):
            # A summary of the returned message's To: used only when nothing else names a recipient.
            match = _ADDR_RE.search(line)
            if match and len(to_lines) < 10 and match.group(0).lower() not in exclude:
                to_lines.append(Found(match.group(0), "", index))
            continue
        if _HEADERISH.match(line):
            continue
        for form, strong in _line_forms():
            match = form.search(line)
            if not match:
                continue
            address = match.group(1).strip(".")
            key = address.lower()
            local = key.split("@", 1)[0]
            if _SKIP_LOCAL.match(local) or (not strong and key in exclude):
                break
            if re.search(r"message-?id|in-reply-to|references", line[: match.start(1)], re.IGNORECASE):
                break
            if key not in found:
                total += 1
                if len(found) < MAX_FOUND:
                    rest = line[match.end():]
                    found[key] = Found(address, _context(lines, index, rest), index)
            break
    if not found and to_lines:
        return to_lines, len(to_lines)
    return list(found.values()), total
