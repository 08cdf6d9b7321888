"""Which SMTP command a remote server refused (RFC 5321 section 3.3, section 4.1.1).

The command matters for the reason: "user unknown" in reply to ``RCPT TO`` means
the mailbox does not exist, while the same words after ``DATA`` mean a filter
refused the message; a refusal at ``MAIL FROM`` is about the sender; one at
``HELO``/``EHLO`` or at connection is about the sending host. MTAs name the
command in fixed phrases ("in reply to RCPT TO command" (Postfix), "after RCPT
TO:" (Exim), "did not like our RCPT TO" (DragonFly/qmail), ">>> RCPT To:" in a
Sendmail transcript); :func:`failed_command` finds the last one named.
"""

from __future__ import annotations

import re

# One merged pattern: the command word is in group "cmd".
_COMMAND = re.compile(
    r"(?:in\s+reply\s+to\s+(?:the\s+)?|after\s+(?:the\s+)?|did\s+not\s+like\s+our\s+|"
    r"while\s+(?:sending|talking)\s+|(?:rejected|error)\s+(?:at|after|during|on)\s+|at\s+|during\s+|"
    r"^\s*>>>\s*|\bin:\s+)"
    r"(?P<cmd>rcpt\s+to|rcpt|mail\s+from|mail|end\s+of\s+data|data|bdat|helo|ehlo|starttls|auth|"
    r"initial\s+connection|connect(?:ion)?|greeting|quit|xforward)\b",
    re.IGNORECASE | re.MULTILINE,
)
_HELO_REFUSED = re.compile(r"my name was rejected", re.IGNORECASE)  # qmail: the HELO name was refused
_NAMES = {
    "rcpt to": "RCPT", "rcpt": "RCPT", "mail from": "MAIL", "mail": "MAIL", "end of data": "DATA",
    "data": "DATA", "bdat": "DATA", "helo": "HELO", "ehlo": "EHLO", "starttls": "STARTTLS",
    "auth": "AUTH", "initial connection": "CONN", "connect": "CONN", "connection": "CONN",
    "greeting": "CONN", "quit": "QUIT", "xforward": "XFORWARD",
}
#: Commands sent before DATA: a refusal there cannot be about the message content.
BEFORE_DATA = frozenset({"CONN", "HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "XFORWARD"})
_MAX = 20_000


def failed_command(text: str | None) -> str | None:
    """The SMTP command named last in ``text`` as the one refused, or ``None``.

    Loose forms ("at", "during", "mail") count only in a phrase that names an
    SMTP exchange; ``"mail"`` alone must be followed by ``from`` or ``:``.
    """
    if not text:
        return None
    last = None
    if _HELO_REFUSED.search(text[:_MAX]):
        last = "HELO"
    for match in _COMMAND.finditer(text[:_MAX]):
        word = " ".join(match.group("cmd").lower().split())
        lead = " ".join(match.group(0)[: match.start("cmd") - match.start(0)].lower().split())
        if word in ("mail", "rcpt", "data", "connect", "connection", "auth", "quit") and lead in ("at", "during"):
            # "at data", "during mail delivery": only the explicit "... command" form counts
            tail = text[match.end("cmd"): match.end("cmd") + 10].lower()
            if not tail.lstrip().startswith("command"):
                continue
        if word == "mail":
            tail = text[match.end("cmd"): match.end("cmd") + 6].lower()
            if not re.match(r"\s*(?:from|:)", tail):
                continue
        if word in ("connect", "connection") and lead not in ("after", "after the", "during", "at"):
            continue
        last = _NAMES[word]
    return last
