"""The milter front door, on pymilter (Sendmail's libmilter; see docs/filter.md for why).

libmilter runs one thread per MTA connection and calls :class:`MailwardenMilter`
there.  The callbacks only collect what the MTA says (client address, HELO,
envelope, ``{auth_authen}``, header fields as received, body); at end of
message the evaluation runs on the filter's asyncio loop
(:meth:`Runtime.submit`) and the thread waits for the answer.  Header values
are negotiated with leading white space kept (``SMFIP_HDR_LEADSPC``) so the
DKIM ``simple`` canonicalization sees the bytes the sender sent.  Every stage
before end of message is negotiated "no reply" (``SMFIP_NR_*``): the MTA
streams the message without waiting for one round trip per header.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import Milter

from mailwarden.filter.decision import QUARANTINE, REJECT, TEMPFAIL, Transaction

if TYPE_CHECKING:
    from mailwarden.filter.runner import Runtime

log = logging.getLogger("mailwarden.filter")


def _strip_angles(address: str) -> str:
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1]
    return address


@Milter.header_leading_space
class MailwardenMilter(Milter.Base):
    """One instance per MTA connection (libmilter ``SMFICTX``)."""

    runtime: Runtime  # set by the runner before the milter starts

    def __init__(self) -> None:
        super().__init__()
        self.client_ip: str | None = None
        self.helo: str | None = None
        self._reset()

    def _reset(self) -> None:
        self.mail_from = ""
        self.recipients: list[str] = []
        self.auth_user: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    # --- SMTP stages -------------------------------------------------------------------------
    @Milter.noreply
    def connect(self, hostname, family, hostaddr):  # type: ignore[override]
        import socket

        if family in (socket.AF_INET, socket.AF_INET6) and isinstance(hostaddr, tuple):
            self.client_ip = str(hostaddr[0])
        return Milter.CONTINUE

    @Milter.noreply
    def hello(self, hostname):  # type: ignore[override]
        self.helo = hostname
        return Milter.CONTINUE

    @Milter.noreply
    def envfrom(self, mailfrom, *params):  # type: ignore[override]
        self._reset()
        self.mail_from = _strip_angles(mailfrom)
        self.auth_user = self.getsymval("{auth_authen}") or None
        return Milter.CONTINUE

    @Milter.noreply
    def envrcpt(self, to, *params):  # type: ignore[override]
        if len(self.recipients) < 1000:
            self.recipients.append(_strip_angles(to))
        return Milter.CONTINUE

    @Milter.noreply
    def header(self, name, value):  # type: ignore[override]
        """Unused (header_bytes gets the raw value); defined so that libmilter sends the headers."""
        return Milter.CONTINUE

    def header_bytes(self, name, value):  # type: ignore[override]
        field = name.encode("latin-1", "replace") if isinstance(name, str) else bytes(name)
        raw = field + b":" + bytes(value).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n"
        self._add(raw)
        if not self.truncated:
            self.headers.append((field.decode("latin-1"), bytes(value).decode("utf-8", "surrogateescape")))
        return Milter.NOREPLY if self._protocol & Milter.P_NR_HDR else Milter.CONTINUE

    @Milter.noreply
    def eoh(self):  # type: ignore[override]
        self._add(b"\r\n")
        return Milter.CONTINUE

    @Milter.noreply
    def body(self, chunk):  # type: ignore[override]
        self._add(bytes(chunk))
        return Milter.CONTINUE

    def _add(self, data: bytes) -> None:
        if self.truncated:
            return
        limit = self.runtime.state.config.max_message_bytes
        if self.size + len(data) > limit:
            self.truncated = True
            return
        self.size += len(data)
        self.chunks.append(data)

    # --- the answer ----------------------------------------------------------------------------
    def eom(self):  # type: ignore[override]
        tx = Transaction(self.client_ip, self.helo, self.mail_from, tuple(self.recipients), self.auth_user,
                         self.getsymval("i") or None)
        raw = b"".join(self.chunks)
        self.chunks = []
        outcome = self.runtime.submit(raw, self.headers, tx, truncated=self.truncated)
        decision = outcome.decision
        leading = " " if self._protocol & Milter.P_HDR_LEADSPC else ""
        try:
            if decision.action in (REJECT, TEMPFAIL):
                self.setreply(decision.smtp_code, decision.smtp_xcode, decision.smtp_text.replace("%", "%%"))
                return Milter.REJECT if decision.action == REJECT else Milter.TEMPFAIL
            for edit in outcome.edits:
                if edit.value is None:
                    self.chgheader(edit.name, edit.index, None)
                else:
                    self.addheader(edit.name, leading + edit.value, 0)
            if decision.action == QUARANTINE and self.runtime.state.config.quarantine_method == "hold":
                self.quarantine(f"mailwarden {decision.guard}: {decision.reasons[-1][:200]}")
            return Milter.ACCEPT
        except Exception:  # a header edit refused by the MTA: fail safe rather than pass unstamped
            log.exception("could not apply the answer for %s", tx.queue_id or "a message")
            self.runtime.metrics.error("apply")
            return Milter.TEMPFAIL if self.runtime.state.config.on_error == "tempfail" else Milter.ACCEPT
        finally:
            self._reset()

    def abort(self):  # type: ignore[override]
        self._reset()
        return Milter.CONTINUE

    def close(self):  # type: ignore[override]
        return Milter.CONTINUE
