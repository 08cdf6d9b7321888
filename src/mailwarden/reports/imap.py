"""Ingest report e-mails from an IMAP folder (RFC 9051 / RFC 3501), moving each after commit.

``imaps://USER@HOST[:PORT]/FOLDER`` (TLS from the first byte, port 993) or, for a
server on the loopback interface only, plain ``imap://`` (port 143).  The password
never comes from the command line: :func:`read_password` takes it from
``MAILWARDEN_IMAP_PASSWORD`` or a file.

Messages are fetched one at a time (``BODY.PEEK[]``, so nothing is marked read) up
to the message size cap.  A message is moved to ``--move-to`` (``UID MOVE``,
RFC 6851, or ``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE`` where MOVE is missing)
only after every report in it was committed to the store; a message that gave
no report stays where it is (and is listed as rejected).  A crash between the
commit and the move leaves the message in place: the next run finds its reports
already known and moves it then, so nothing is lost or stored twice.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import os
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mailwarden.errors import InputError
from mailwarden.reports.ingest import Ingestor, IngestResult

PASSWORD_VARIABLE = "MAILWARDEN_IMAP_PASSWORD"
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class IMAPError(InputError):
    """The IMAP server refused us or does not answer."""


@dataclass(frozen=True)
class IMAPTarget:
    tls: bool
    user: str
    host: str
    port: int
    folder: str

    @property
    def label(self) -> str:
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> IMAPTarget:
    """``imaps://USER@HOST[:PORT]/FOLDER``; the user may itself contain ``@`` (or ``%40``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise InputError(f"--imap: expected imaps://USER@HOST[:PORT]/FOLDER, got {url!r}")
    userinfo, sep, hostport = parts.netloc.rpartition("@")
    if not sep or not userinfo:
        raise InputError("--imap: the URL names no user (imaps://USER@HOST/FOLDER)")
    if ":" in userinfo:
        raise InputError("--imap: never put the password in the URL; use MAILWARDEN_IMAP_PASSWORD or --password-file")
    try:
        host = urlsplit(f"//{hostport}").hostname or ""
        port = urlsplit(f"//{hostport}").port
    except ValueError:
        raise InputError(f"--imap: bad host or port in {url!r}") from None
    if not host:
        raise InputError(f"--imap: no host in {url!r}")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    tls = parts.scheme == "imaps"
    if not tls and not _loopback(host):
        raise InputError("--imap: plain imap:// is allowed only to a server on this machine; use imaps://")
    check_folder(folder, "--imap")
    return IMAPTarget(tls, unquote(userinfo), host, port or (993 if tls else 143), folder)


def check_folder(folder: str, option: str) -> None:
    if not folder.isascii() or any(ord(c) < 32 or c in '"\\' for c in folder) or len(folder) > 200:
        raise InputError(f"{option}: folder name {folder!r} is not supported (ASCII without quotes or controls)")


def read_password(password_file: str | None) -> str:
    """From ``--password-file`` (first line) or ``MAILWARDEN_IMAP_PASSWORD``."""
    if password_file:
        try:
            with open(password_file, encoding="utf-8") as fh:
                line = fh.readline(4096)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--password-file: cannot read {password_file}: {getattr(exc, 'strerror', exc)}") from None
        password = line.rstrip("\r\n")
    else:
        password = os.environ.get(PASSWORD_VARIABLE, "")
    if not password:
        raise InputError(f"no IMAP password: set {PASSWORD_VARIABLE} or use --password-file")
    return password


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quote(folder: str) -> str:
    return '"' + folder + '"'


def _check(response: tuple[str, list[object]], what: str) -> list[object]:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise IMAPError(f"IMAP {what} failed: {' '.join(detail.split())[:200]}")
    return data


def connect(target: IMAPTarget, password: str, *, timeout: float = 30.0) -> imaplib.IMAP4:
    try:
        if target.tls:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(target.host, target.port, ssl_context=ssl.create_default_context(),
                                                      timeout=timeout)
        else:
            client = imaplib.IMAP4(target.host, target.port, timeout=timeout)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise IMAPError(f"cannot connect to IMAP server {target.host}:{target.port}: {exc}") from None
    try:
        client.login(target.user, password)
    except imaplib.IMAP4.error as exc:
        client.shutdown()
        raise IMAPError(f"IMAP login as {target.user} refused: {exc}") from None
    return client


def ingest_imap(ingestor: Ingestor, target: IMAPTarget, password: str, *, move_to: str | None = None,
                timeout: float = 30.0) -> IngestResult:
    """Ingest every message of ``target.folder``; move the ones whose reports are committed."""
    if move_to is not None:
        check_folder(move_to, "--move-to")
    client = connect(target, password, timeout=timeout)
    try:
        _check(client.select(_quote(target.folder), readonly=move_to is None), f"SELECT {target.folder}")
        if move_to is not None:
            ensure_folder(client, move_to)
        uids = _check(client.uid("SEARCH", "ALL"), "SEARCH")[0]
        uid_list = [int(u) for u in (uids or b"").split()] if isinstance(uids, bytes) else []
        can_move = b"MOVE" in _capabilities(client)
        for uid in uid_list:
            source = f"{target.label};UID={uid}"
            data = _fetch(client, uid, ingestor.limits.max_message_bytes)
            if data is None:
                ingestor.add_items([_too_large(source, ingestor.limits.max_message_bytes)])
                continue
            added, known, rejected = ingestor.add_bytes(data, source)
            if move_to is not None and not rejected and (added or known):
                _move(client, uid, move_to, can_move)
                ingestor.moved += 1
        if move_to is not None and not can_move:
            client.expunge()
    except (TimeoutError, OSError, imaplib.IMAP4.abort) as exc:
        raise IMAPError(f"IMAP server {target.host}:{target.port} stopped answering: {exc}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return ingestor.result()


def _capabilities(client: imaplib.IMAP4) -> set[bytes]:
    """The capabilities after login (RFC 9051 section 6.1.1: they may change with authentication)."""
    data = _check(client.capability(), "CAPABILITY")
    return set(data[0].upper().split()) if data and isinstance(data[0], bytes) else set()


def ensure_folder(client: imaplib.IMAP4, folder: str) -> None:
    status, _ = client.status(_quote(folder), "(MESSAGES)")
    if status != "OK":
        _check(client.create(_quote(folder)), f"CREATE {folder}")


def _fetch(client: imaplib.IMAP4, uid: int, cap: int) -> bytes | None:
    """The message with ``uid`` (``BODY.PEEK[]``: the \\Seen flag is left alone); ``None`` if over ``cap``."""
    meta = _check(client.uid("FETCH", str(uid), "(RFC822.SIZE)"), "FETCH")
    size = next((int(m.group(1)) for item in meta if isinstance(item, bytes) and (m := _SIZE.search(item))), 0)
    if size > cap:
        return None
    data = _check(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return b""


def _too_large(source: str, cap: int):  # type: ignore[no-untyped-def]
    from mailwarden.reports.model import ReportError

    return ReportError(source, f"message larger than {cap // (1024 * 1024)} MiB: not read")


def _move(client: imaplib.IMAP4, uid: int, folder: str, can_move: bool) -> None:
    if can_move:
        _check(client.uid("MOVE", str(uid), _quote(folder)), f"MOVE to {folder}")
        return
    _check(client.uid("COPY", str(uid), _quote(folder)), f"COPY to {folder}")
    _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
