"""A minimal DKIM signer for the benchmark corpus (RFC 6376 section 3.4.2,
3.4.4 relaxed/relaxed; section 3.5 tags; RFC 8463 for Ed25519).

The bench signs its own data with ``cryptography`` directly so that the corpus
does not depend on the signer under test.  Every generated message is checked
by the reference verifiers (a tool that does not report ``pass`` for a message
is flagged by the harness), so a mistake here cannot go unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import re

from bench.corpus.keys import KeyPair

_WSP_RUN = re.compile(rb"[ \t]+")
_UNFOLD = re.compile(rb"\r\n(?=[ \t])")


def relaxed_body(body: bytes) -> bytes:
    """Relaxed body canonicalization (RFC 6376 section 3.4.4)."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = [_WSP_RUN.sub(b" ", line).rstrip(b" ") for line in lines]
    while out and out[-1] == b"":
        out.pop()
    return b"".join(line + b"\r\n" for line in out)


def relaxed_header(raw: bytes) -> bytes:
    """Relaxed header canonicalization of one ``Name: value\\r\\n`` field (section 3.4.2)."""
    name, _, value = raw.partition(b":")
    value = _UNFOLD.sub(b"", value)
    if value.endswith(b"\r\n"):
        value = value[:-2]
    value = _WSP_RUN.sub(b" ", value).strip(b" ")
    return name.strip(b" \t").lower() + b":" + value + b"\r\n"


def _fold(b64: str, first: int = 60, width: int = 72) -> str:
    parts = [b64[:first]] + [b64[i:i + width] for i in range(first, len(b64), width)]
    return "\r\n\t ".join(p for p in parts if p)


def signing_input(headers: list[bytes], names: list[str], sig_header: bytes) -> bytes:
    """The data the signature covers: the selected headers (bottom-up instances), then the
    DKIM-Signature field with an empty ``b=`` and no trailing CRLF (section 3.7)."""
    by_name: dict[bytes, list[bytes]] = {}
    for raw in headers:
        by_name.setdefault(raw.partition(b":")[0].strip().lower(), []).append(raw)
    data = []
    for name in names:
        stack = by_name.get(name.lower().encode())
        if stack:
            data.append(relaxed_header(stack.pop()))
    data.append(relaxed_header(sig_header)[:-2])
    return b"".join(data)


def sign(headers: list[bytes], body: bytes, key: KeyPair, domain: str, selector: str,
         names: list[str], timestamp: int) -> bytes:
    """The ``DKIM-Signature`` field (raw, CRLF-terminated) for a message of ``headers`` + ``body``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    bh = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
    head = (f"DKIM-Signature: v=1; a={key.algorithm}; c=relaxed/relaxed; d={domain};\r\n"
            f"\ts={selector}; t={timestamp}; h={':'.join(names)};\r\n"
            f"\tbh={bh};\r\n\tb=")
    data = signing_input(headers, names, head.encode() + b"\r\n")
    if key.algorithm == "rsa-sha256":
        signature = key.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.private.sign(hashlib.sha256(data).digest())
    return (head + _fold(base64.b64encode(signature).decode()) + "\r\n").encode()
