"""Keys, messages and a snapshot resolver for the DKIM tests."""

from __future__ import annotations

import asyncio
import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mailwarden.dns.snapshot import SnapshotResolver

MESSAGE = (
    b"From: Alice <alice@example.com>\r\n"
    b"To: Bob <bob@example.net>\r\n"
    b"Subject:  A  test   message\r\n"
    b"Date: Thu, 14 Jan 2021 15:00:01 -0800\r\n"
    b"Message-ID: <1@example.com>\r\n"
    b"\r\n"
    b"Hello Bob,  \r\n"
    b"\tthis is\ta test.\r\n"
    b"\r\n"
    b"\r\n"
)


def run(coro):
    return asyncio.run(coro)


def rsa_record(key) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def ed_record(key) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()


def pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_record_of_size(bits: int) -> str:
    """A key record holding an RSA public key of ``bits`` bits (no private key needed:
    the modulus is an arbitrary odd number of that size)."""
    n = (1 << (bits - 1)) | (1 << (bits // 2)) | 1
    key = rsa.RSAPublicNumbers(65537, n).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@pytest.fixture(scope="session")
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def zone(rsa_key, ed_key) -> dict:
    return {
        "rsa._domainkey.example.com": {"TXT": [rsa_record(rsa_key)]},
        "ed._domainkey.example.com": {"TXT": [ed_record(ed_key)]},
        "short._domainkey.example.com": {"TXT": [public_record_of_size(768)]},
        "revoked._domainkey.example.com": {"TXT": ["v=DKIM1; k=rsa; p="]},
        "testing._domainkey.example.com": {"TXT": [rsa_record(rsa_key) + "; t=y"]},
        "strict._domainkey.example.com": {"TXT": [rsa_record(rsa_key) + "; t=s"]},
        "tlsrpt._domainkey.example.com": {"TXT": [rsa_record(rsa_key) + "; s=tlsrpt"]},
        "sha1only._domainkey.example.com": {"TXT": [rsa_record(rsa_key) + "; h=sha1"]},
        "broken._domainkey.example.com": {"TXT": "SERVFAIL"},
    }


@pytest.fixture
def resolver(zone):
    return SnapshotResolver.from_dict(zone)
