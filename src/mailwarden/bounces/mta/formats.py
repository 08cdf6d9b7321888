"""Non-standard bounces with a fixed layout: read by their structure, not by guessing.

* **Apache James** (its ``Bounce``/``NotifySender`` mailets): a free message,
  then ``Error message below:`` with the SMTP reply, then a ``Message details:``
  block listing ``Subject:``, ``Sent date:``, ``MAIL FROM:`` and ``RCPT TO:``
  (further recipients on indented lines below it).
* **fml** mailing-list error mails (``X-MLServer: fml ...``): the list refused a
  post ("You ... are not member", "Members ONLY", "reject mail ...") or did not
  distribute it ("Loop Alert:", "Loop Back Warning:", "fml system error
  message", "Security Alert"). The list address is named in ``<...>`` in the
  first paragraph; the refused original may follow. An article the list
  distributed carries ``X-Mail-Count`` and is never an error mail.

Each recogniser returns a :class:`Structured` (frozen) or ``None``; the
caller derives status and reason from the diagnostic as for any other
non-standard bounce. Bounded: the first :data:`MAX_TEXT` characters are read and
every pattern is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.bounces.mta.scan import Found
from mailwarden.message import Message

MAX_TEXT = 100_000
_MAX_RCPT = 1000
_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}@(?:[A-Za-z0-9\-]{1,63}\.)+[A-Za-z0-9\-]{2,63}"

_JAMES_ERROR = re.compile(r"^[ \t]*Error message below:[ \t]*$", re.IGNORECASE | re.MULTILINE)
_JAMES_DETAILS = re.compile(r"^[ \t]*Message details:[ \t]*$", re.IGNORECASE | re.MULTILINE)
_JAMES_RCPT = re.compile(rf"^[ \t]+RCPT TO:[ \t]*<?({_ADDR})>?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_JAMES_MORE = re.compile(rf"[ \t]+<?({_ADDR})>?[ \t]*")
_JAMES_FIELD = re.compile(r"^[ \t]+(?:Subject|Sent date|MAIL FROM):", re.IGNORECASE | re.MULTILINE)

_FML_SERVER = re.compile(r"^\s*fml\b", re.IGNORECASE)
#: fml error titles (its Subject) -> the reason they state.
_FML_ERRORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rejected", re.compile(r"\bare not (?:a )?member\b|\bmembers only\b|\breject mail\b|"
                            r"\bignored not member article\b|spam mail from a spammer is rejected", re.IGNORECASE)),
    ("systemerror", re.compile(r"\bloop alert:|\bloop back warning:|\bfml system error message\b|"
                               r"\bwarning: unix from loop\b", re.IGNORECASE)),
    ("securityerror", re.compile(r"\bsecurity alert\b", re.IGNORECASE)),
)
_FIRST_BRACKETED = re.compile(rf"<({_ADDR})>")


@dataclass(frozen=True)
class Structured:
    """A non-standard bounce read by its layout: the writer, its recipients and,
    when the layout states it, the reason."""

    mta: str
    recipients: tuple[Found, ...]
    reason: str | None = None


def _james_error(text: str, start: int, end: int) -> str:
    """The ``Error message below:`` section: the remote server's reply."""
    lines = [line.strip() for line in text[start:end].split("\n")]
    return " ".join(line for line in lines if line)[:1000]


def apache_james(text: str) -> Structured | None:
    """An Apache James bounce (its AbstractNotify layout), or ``None``."""
    sample = text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    error = _JAMES_ERROR.search(sample)
    details = _JAMES_DETAILS.search(sample, error.end()) if error else None
    if error is None or details is None or _JAMES_FIELD.search(sample, details.end()) is None:
        return None
    rcpt = _JAMES_RCPT.search(sample, details.end())
    if rcpt is None:
        return None
    diagnostic = _james_error(sample, error.end(), details.start())
    addresses = [rcpt.group(1)]
    for line in sample[rcpt.end() + 1:].split("\n", _MAX_RCPT)[:_MAX_RCPT - 1]:
        more = _JAMES_MORE.fullmatch(line)
        if more is None:
            break
        addresses.append(more.group(1))
    line_no = sample.count("\n", 0, rcpt.start())
    found = tuple(Found(address, diagnostic, line_no) for address in dict.fromkeys(addresses))
    return Structured("apachejames", found)


def fml_error(message: Message, text: str) -> Structured | None:
    """An fml mailing-list error mail, or ``None``.

    The list's refusal is stated by its title (the Subject), the list address in
    ``<...>`` in the first paragraph of the text (else the To of the post).
    """
    server = message.get("X-MLServer") or message.get("X-ML-Server") or ""
    if not _FML_SERVER.match(server) or message.get("X-Mail-Count") is not None:
        return None  # not fml, or an article the list distributed (it carries its number)
    subject = message.subject or ""
    reason = next((name for name, pattern in _FML_ERRORS if pattern.search(subject)), None)
    if reason is None:
        return None
    sample = text[:MAX_TEXT].replace("\r\n", "\n")
    first = sample.lstrip("\n").split("\n\n", 1)[0][:2000]
    match = _FIRST_BRACKETED.search(first)
    if match is None:
        return Structured("fml", (), reason)
    return Structured("fml", (Found(match.group(1), " ".join(first.split()), 0),), reason)
