"""DKIM signing (RFC 6376 section 5) with rsa-sha256 or ed25519-sha256 (RFC 8463),
key generation (RFC 6376 section 3.6.1 records), and the tag-list header
formatting shared with ARC sealing."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mailwarden.dkim.canon import HeaderIndex, canon_header, hash_body
from mailwarden.dkim.crypto import load_private_key, sign_data
from mailwarden.dkim.signature import ALGORITHMS, check_domain, parse_canonicalization
from mailwarden.errors import InputError, RecordSyntaxError
from mailwarden.message.model import Message

#: Header fields signed by default when present (RFC 6376 section 5.4.1); From is over-signed.
DEFAULT_HEADERS = (
    "from", "reply-to", "subject", "date", "to", "cc", "message-id", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "list-id", "list-unsubscribe",
    "list-unsubscribe-post", "sender",
)
WIDTH = 76


def format_tags(name: str, items: Sequence[tuple[str, str]], *, fold: bool = True) -> str:
    """``Name: t=v; t=v`` text without the final CRLF, folded at tag boundaries
    (and inside long h= lists) when ``fold``; the last item (b=) is left to the caller."""
    if not fold:
        return f"{name}: " + "; ".join(f"{k}={v}" for k, v in items)
    atoms: list[tuple[str, str]] = []  # (separator before, text)
    for n, (k, v) in enumerate(items):
        end = ";" if n < len(items) - 1 else ""
        text = f"{k}={v}{end}"
        if k == "h" and len(text) > WIDTH - 2:
            parts = text.split(":")
            atoms.append((" ", parts[0] + ":"))
            atoms.extend(("", p + ":") for p in parts[1:-1])
            atoms.append(("", parts[-1]))
        else:
            atoms.append((" ", text))
    out = f"{name}:"
    line = len(out)
    for sep, text in atoms:
        if line + len(sep) + len(text) > WIDTH and line > 1:
            out += "\r\n " + text
            line = 1 + len(text)
        else:
            out += sep + text
            line += len(sep) + len(text)
    return out


def fold_b64(value: str, first: int) -> str:
    """b= value in pieces that fit the line (FWS is allowed inside base64, section 3.5)."""
    pieces = [value[:first]]
    pieces.extend(value[i : i + WIDTH - 1] for i in range(first, len(value), WIDTH - 1))
    return "\r\n ".join(p for p in pieces if p)


@dataclass(frozen=True)
class SignedHeader:
    """A header field to add (``raw`` ends with CRLF) and the signature value."""

    raw: bytes
    b: str


def signature_header(
    name: str,
    items: Sequence[tuple[str, str]],
    selected_raw: bytes,
    private_key: object,
    key_type: str,
    hash_name: str,
    header_canon: str,
    *,
    fold: bool = True,
) -> SignedHeader:
    """Build ``name: items...; b=SIG`` where SIG signs ``selected_raw`` (canonical
    header fields) + this field with an empty b= (section 3.7)."""
    from mailwarden.message.model import Header

    if not fold and any(k == "b" for k, _ in items):
        # b= in place (the ARC test suite's sorted single-line format)
        at = next(n for n, (k, _) in enumerate(items) if k == "b")
        before = format_tags(name, items[:at], fold=False) + "; b=" if at else f"{name}: b="
        after = ("; " + "; ".join(f"{k}={v}" for k, v in items[at + 1 :])) if at + 1 < len(items) else ""
        unsigned = Header(name, (before + after).encode("ascii") + b"\r\n")
        data = selected_raw + canon_header(unsigned, header_canon)[:-2]
        b = base64.b64encode(sign_data(private_key, key_type, hash_name, data)).decode("ascii")
        return SignedHeader((before + b + after + "\r\n").encode("ascii"), b)
    prefix = format_tags(name, items, fold=fold)
    prefix += ";\r\n b=" if fold else "; b="
    unsigned = Header(name, prefix.encode("ascii") + b"\r\n")
    data = selected_raw + canon_header(unsigned, header_canon)[:-2]
    b = base64.b64encode(sign_data(private_key, key_type, hash_name, data)).decode("ascii")
    value = fold_b64(b, WIDTH - 3) if fold else b
    return SignedHeader((prefix + value + "\r\n").encode("ascii"), b)


def sign_message(
    message: Message,
    domain: str,
    selector: str,
    private_key_pem: bytes,
    algorithm: str = "rsa-sha256",
    canonicalization: str = "relaxed/relaxed",
    headers: Sequence[str] | None = None,
    now: float | None = None,
    *,
    identity: str | None = None,
    expire_after: int | None = None,
    body_length: bool = False,
) -> bytes:
    """Sign ``message`` and return the ``DKIM-Signature: ...`` field to prepend (CRLF ended).

    ``headers`` defaults to :data:`DEFAULT_HEADERS` present in the message, From over-signed.
    Raises :class:`InputError` (or :class:`~mailwarden.errors.KeyFileError`) for unusable arguments.
    """
    if algorithm not in ALGORITHMS or algorithm == "rsa-sha1":
        raise InputError(f"cannot sign with {algorithm!r}: use rsa-sha256 or ed25519-sha256")
    key_type, hash_name = ALGORITHMS[algorithm]
    try:
        header_canon, body_canon = parse_canonicalization(canonicalization)
        domain = check_domain(domain, "d")
        selector = check_domain(selector, "s")
    except RecordSyntaxError as exc:
        raise InputError(str(exc)) from None
    private_key, actual_type = load_private_key(bytes(private_key_pem))
    if actual_type != key_type:
        raise InputError(f"the key is {actual_type} but the algorithm is {algorithm}")
    index = HeaderIndex(message.fields_by_name)
    if headers is None:
        names = [h for h in DEFAULT_HEADERS if h in index.by_name]
        names += ["from"]  # over-sign From: no second From can be added (section 8.15)
    else:
        names = [h.strip().lower() for h in headers if h.strip()]
    if "from" not in names:
        raise InputError("the From header field must be signed (RFC 6376 section 5.4)")
    body = hash_body(message.body, body_canon, hash_name)
    timestamp = int(time.time() if now is None else now)
    items = [("v", "1"), ("a", algorithm), ("c", f"{header_canon}/{body_canon}"), ("d", domain),
             ("s", selector)]
    if identity:
        items.append(("i", identity))
    items.append(("t", str(timestamp)))
    if expire_after is not None:
        items.append(("x", str(timestamp + expire_after)))
    if body_length:
        items.append(("l", str(body.canonical_length)))
    items += [("h", ":".join(names)), ("bh", base64.b64encode(body.digest).decode("ascii"))]
    selected = b"".join(canon_header(h, header_canon) for h in index.select(names))
    return signature_header("DKIM-Signature", items, selected, private_key, key_type, hash_name,
                            header_canon).raw


@dataclass(frozen=True)
class KeyPair:
    """A generated key: the private key PEM and the TXT record to publish."""

    private_pem: bytes
    txt_record: str
    key_type: str
    bits: int


def generate_key(key_type: str = "rsa", bits: int = 2048) -> KeyPair:
    """A new RSA (>= 1024 bits, RFC 8301) or Ed25519 (RFC 8463) key pair and its
    ``v=DKIM1; k=...; p=...`` record (RFC 6376 section 3.6.1)."""
    from cryptography.hazmat.primitives import serialization

    if key_type == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        bits = 256
    elif key_type == "rsa":
        if not 1024 <= bits <= 8192:
            raise InputError("RSA keys must have 1024 to 8192 bits (RFC 8301 asks for at least 1024, 2048 advised)")
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        raise InputError(f"unknown key type {key_type!r}: use rsa or ed25519")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    record = f"v=DKIM1; k={key_type}; p={base64.b64encode(public).decode('ascii')}"
    return KeyPair(pem, record, key_type, bits)
