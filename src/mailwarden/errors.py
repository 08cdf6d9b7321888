"""The one exception hierarchy of mailwarden.

Protocol outcomes (SPF permerror, DKIM fail, DNS NXDOMAIN, ...) are *results*,
never exceptions.  Exceptions are for input that cannot be used at all and for
faults; the CLI maps :class:`InputError` to exit status 2 with its message on
one line of stderr, :class:`DNSUnavailableError` to exit status 3, and
anything else to exit status 1.
"""

from __future__ import annotations


class MailwardenError(Exception):
    """Base of every exception raised on purpose by mailwarden."""


class InputError(MailwardenError):
    """Unreadable or invalid user input (file, option value, snapshot).

    ``str(exc)`` is a complete, user-facing sentence.
    """


class DNSConfigError(InputError):
    """A DNS snapshot file or ``--nameserver`` value cannot be used."""


class MessageError(InputError):
    """A message that cannot be parsed at all (empty, not a message, too large)."""


class KeyFileError(InputError):
    """A private key or secret file that cannot be read or used."""


class DNSUnavailableError(MailwardenError):
    """DNS (or another server the answer needs) did not answer: timeout, SERVFAIL, no route.

    Nothing can be concluded; the CLI prints ``str(exc)`` on one line of stderr
    and exits with status 3 (SPEC section 3).  ``str(exc)`` names what did not
    answer and says that retrying later may help.
    """


class RecordSyntaxError(MailwardenError, ValueError):
    """A signature header or DNS record that does not follow its grammar
    (DKIM-Signature, DKIM key record, ARC header fields).

    Engines turn it into a protocol result (neutral/permerror); ``parse_*``
    functions raise it for callers that inspect records (the domain audit).
    """


class ReportParseError(InputError):
    """A DMARC aggregate/failure or SMTP-TLS report (or its container) that cannot
    be used: not a report, malformed beyond recovery, or refused as hostile
    (decompression bomb, DTD/entities, absurd nesting or sizes; SPEC section 10)."""
