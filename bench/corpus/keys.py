"""Deterministic key material for the benchmark corpus.

RSA keys come from a seeded prime search (Miller-Rabin over ``random.Random``),
so every run and every machine gets the same 2048-bit keys without shipping a
private key in the repository.  These keys sign benchmark data only.  Ed25519
keys are the SHA-256 of a seed (RFC 8032 section 5.1.5 takes any 32 bytes).
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Any

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def _is_probable_prime(n: int, rng: random.Random, rounds: int = 40) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int, e: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % e and _is_probable_prime(candidate, rng):
            return candidate


@dataclass(frozen=True)
class KeyPair:
    """One signing key: ``private`` is a ``cryptography`` key object, ``txt`` the DNS record."""

    algorithm: str  # "rsa-sha256" | "ed25519-sha256"
    private: Any
    txt: str


def rsa_key(seed: str, bits: int = 2048) -> KeyPair:
    """A 2048-bit RSA key derived from ``seed`` (same seed, same key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    e = 65537
    while True:
        p, q = _prime(rng, bits // 2, e), _prime(rng, bits // 2, e)
        if p != q and (p * q).bit_length() == bits:
            break
    if p < q:
        p, q = q, p
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    private = numbers.private_key()
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair("rsa-sha256", private, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode())


def ed25519_key(seed: str) -> KeyPair:
    """An Ed25519 key whose private bytes are SHA-256(seed) (RFC 8463 section 3)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KeyPair("ed25519-sha256", private, "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode())
