"""Signature primitives on ``cryptography``: RSASSA-PKCS1-v1_5 (RFC 6376 section 3.3.1)
and Ed25519 over the SHA-256 of the header data (RFC 8463 section 3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from mailwarden.cache import memo
from mailwarden.errors import KeyFileError


def _hash(hash_name: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA1() if hash_name == "sha1" else hashes.SHA256()


@memo(4)
def _rsa_arguments(hash_name: str) -> tuple[Any, Any]:
    """The PKCS#1 v1.5 padding and hash objects for ``verify`` (stateless: built once)."""
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PKCS1v15(), _hash(hash_name)


@memo(1)
def _verify_errors() -> tuple[type[Exception], ...]:
    """What ``verify`` raises for a signature that does not match (imported once, lazily)."""
    from cryptography.exceptions import InvalidSignature

    return (InvalidSignature, ValueError)


def verify_signature(public_key: Any, key_type: str, hash_name: str, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is valid for ``data`` under ``public_key``."""
    try:
        if key_type == "ed25519":
            public_key.verify(signature, hashlib.sha256(data).digest())
        else:
            public_key.verify(signature, data, *_rsa_arguments(hash_name))
    except _verify_errors():
        return False
    return True


def sign_data(private_key: Any, key_type: str, hash_name: str, data: bytes) -> bytes:
    if key_type == "ed25519":
        return private_key.sign(hashlib.sha256(data).digest())
    from cryptography.hazmat.primitives.asymmetric import padding

    return private_key.sign(data, padding.PKCS1v15(), _hash(hash_name))


@memo(64)
def load_private_key(data: bytes) -> tuple[Any, str]:
    """A PEM (PKCS#1 or PKCS#8) RSA or Ed25519 private key, or a bare base64
    32-byte Ed25519 seed (the form RFC 8463's examples use). Returns (key, key type)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    text = data.strip()
    if b"-----BEGIN" in text:
        try:
            key = load_pem_private_key(text, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(f"cannot load the private key: {exc}") from None
        if isinstance(key, RSAPrivateKey):
            return key, "rsa"
        if isinstance(key, Ed25519PrivateKey):
            return key, "ed25519"
        raise KeyFileError("the private key is neither RSA nor Ed25519")
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError("the key file is neither a PEM private key nor a base64 Ed25519 seed") from None
    if len(seed) != 32:
        raise KeyFileError("the key file is neither a PEM private key nor a base64 Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed), "ed25519"
