"""Keys, DNS snapshot and messages shared by the filter tests (unit and end-to-end).

Domains (SPF authorizes one loopback address each, so a test picks who it is
by the source address it connects from):

* ``home.test``   our local domain, ``p=none``, SPF 127.0.0.20, DKIM ``s1``;
* ``partner.test`` ``p=reject``, SPF 127.0.0.30, DKIM ``s1``;
* ``soft.test``    ``p=quarantine``, SPF 127.0.0.50;
* ``list.test``    a mailing list, SPF 127.0.0.40, ARC key ``arc`` (trusted sealer);
* ``other.test``   another list with a valid ARC key, not trusted;
* ``slow.test``    its DMARC record times out.
"""

from __future__ import annotations

import base64
import functools
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailwarden.message import parse_message

LOCAL = "home.test"
AUTHSERV_ID = "mx.home.test"
FORGER_IP = "127.0.0.66"
HOME_IP, PARTNER_IP, LIST_IP, SOFT_IP, OTHER_IP = "127.0.0.20", "127.0.0.30", "127.0.0.40", "127.0.0.50", "127.0.0.45"
BATV_KEY = b"filter-test-batv-secret"


@functools.cache
def key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(name: str) -> bytes:
    return key(name).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())


def record(name: str) -> str:
    der = key(name).public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def snapshot() -> dict:
    return {
        "home.test": {"TXT": ["v=spf1 ip4:127.0.0.20 -all"], "MX": ["10 mx.home.test"]},
        "_dmarc.home.test": {"TXT": ["v=DMARC1; p=none; rua=mailto:d@home.test"]},
        "s1._domainkey.home.test": {"TXT": [record("home")]},
        "partner.test": {"TXT": ["v=spf1 ip4:127.0.0.30 -all"]},
        "_dmarc.partner.test": {"TXT": ["v=DMARC1; p=reject"]},
        "s1._domainkey.partner.test": {"TXT": [record("partner")]},
        "soft.test": {"TXT": ["v=spf1 ip4:127.0.0.50 -all"]},
        "_dmarc.soft.test": {"TXT": ["v=DMARC1; p=quarantine"]},
        "list.test": {"TXT": ["v=spf1 ip4:127.0.0.40 -all"]},
        "_dmarc.list.test": {"TXT": ["v=DMARC1; p=none"]},
        "arc._domainkey.list.test": {"TXT": [record("list")]},
        "other.test": {"TXT": ["v=spf1 ip4:127.0.0.45 -all"]},
        "arc._domainkey.other.test": {"TXT": [record("other")]},
        "slow.test": {"TXT": ["v=spf1 ip4:127.0.0.60 -all"]},
        "_dmarc.slow.test": {"TXT": "TIMEOUT"},
    }


def plain(sender: str, to: str, subject: str, body: str = "Hello.\r\n", extra: str = "") -> bytes:
    domain = sender.rpartition("@")[2]
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Date: Sun, 06 Dec 2026 03:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '-')}@{domain}>\r\n"
            f"{extra}MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}").encode()


def signed(sender: str, to: str, subject: str, *, selector: str = "s1", keyname: str | None = None,
           body: str = "Hello, a genuine message.\r\n", extra: str = "") -> bytes:
    from mailwarden.dkim.sign import sign_message

    raw = plain(sender, to, subject, body, extra)
    domain = sender.rpartition("@")[2]
    field = sign_message(parse_message(raw), domain, selector, pem(keyname or domain.split(".")[0]),
                         now=time.time())
    return field.encode() + raw if isinstance(field, str) else field + raw


def list_forward(original: bytes, sealer: str, *, keyname: str) -> bytes:
    """What a mailing list sends on: Subject tag and footer (DKIM breaks), then its ARC set."""
    from mailwarden.arc.seal import seal

    head, _, body = original.partition(b"\r\n\r\n")
    head = head.replace(b"Subject: ", b"Subject: [list] ", 1)
    ar = (f"Authentication-Results: mx.{sealer}; dkim=pass header.d=partner.test; "
          f"spf=pass smtp.mailfrom=partner.test; dmarc=pass header.from=partner.test\r\n").encode()
    modified = ar + head + b"\r\n\r\n" + body + b"-- \r\nlist footer\r\n"
    fields = seal(parse_message(modified), sealer, "arc", pem(keyname), f"mx.{sealer}", now=time.time())
    return fields.as_bytes() + modified


def dsn(to: str, original: bytes, subject: str) -> bytes:
    """A multipart/report delivery status notification (RFC 3464) returning ``original``."""
    boundary = "dsn-boundary-1"
    return (
        f"From: MAILER-DAEMON@far.example\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Date: Sun, 06 Dec 2026 03:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '-')}@far.example>\r\n"
        f"MIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; far.example\r\n\r\n"
        f"Final-Recipient: rfc822; nobody@far.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode() + original + f"\r\n--{boundary}--\r\n".encode()
