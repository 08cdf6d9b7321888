"""DKIM verification (RFC 6376 section 6) of the mixed corpus: messages/s.

Tools: ``mailwarden`` (key cache per pass, as the filter runs), ``mailwarden-nocache``
(every key fetched and parsed again), ``dkimpy`` (``dkim.verify`` with an in-memory
``dnsfunc``), ``floor`` (``hashlib`` body hash + one ``cryptography`` signature
verification per message with everything else precomputed: no implementation in
Python can beat it).  mailauth runs in node (bench/mailauth_runner.js).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from bench.harness import load_messages, measure, rss_kb, worker_main


def _outcomes(entries: list[dict[str, Any]]) -> list[str]:
    return [e["dkim"] for e in entries]


def run_mailwarden(data: Path, runs: int, limit: int | None = None, key_cache: bool = True) -> dict[str, Any]:
    from bench.workloads._mailwarden import NOW, event_loop, snapshot_resolver
    from mailwarden.cache import memo_clearers
    from mailwarden.dkim import KeyCache, verify_message
    from mailwarden.message import parse_message

    messages, entries = load_messages(data, limit)
    loaded = rss_kb()
    resolver = snapshot_resolver(data)
    loop = event_loop()
    clearers = [] if key_cache else memo_clearers("mailwarden.dkim.keys", "mailwarden.dkim.crypto")

    async def one_pass() -> list[str]:
        cache = KeyCache()
        out = []
        for raw in messages:
            if not key_cache:
                cache = KeyCache()
                for clear in clearers:
                    clear()
            results = await verify_message(resolver, parse_message(raw), now=NOW, key_cache=cache)
            out.append(results[0].result if results else "none")
        resolver.queries.clear()
        return out

    return measure(lambda: loop.run_until_complete(one_pass()), len(messages), runs, _outcomes(entries),
                   "msg/s", loaded)


def run_mailwarden_nocache(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    return run_mailwarden(data, runs, limit, key_cache=False)


def run_dkimpy(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    import dkim
    from bench.refdns import MemoryDNS

    messages, entries = load_messages(data, limit)
    loaded = rss_kb()
    dns = MemoryDNS.from_file(data / "dns.json")
    dnsfunc = dns.dkimpy_dnsfunc

    def one_pass() -> list[str]:
        return ["pass" if dkim.verify(raw, dnsfunc=dnsfunc) else "fail" for raw in messages]

    return measure(one_pass, len(messages), runs, _outcomes(entries), "msg/s", loaded)


_SIG_B = re.compile(rb"(;\s*b=)[^;]*")
_TAG = re.compile(rb"([a-z]+)=([^;]*)")


def floor_items(messages: list[bytes], zone_file: Path) -> list[tuple[Any, str, bytes, bytes, bytes, bytes]]:
    """Per message, everything but the two primitive operations: (key, algorithm, signature,
    signed data, body, expected body hash).  Uses the bench signer's canonicalization."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from bench.corpus.signer import signing_input
    from bench.refdns import MemoryDNS

    dns = MemoryDNS.from_file(zone_file)
    keys: dict[bytes, Any] = {}
    items = []
    for raw in messages:
        head, _, body = raw.partition(b"\r\n\r\n")
        fields: list[bytes] = []
        for line in head.split(b"\r\n"):
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] += line + b"\r\n"
            else:
                fields.append(line + b"\r\n")
        sig_field = next(f for f in fields if f.lower().startswith(b"dkim-signature:"))
        tags = {k: re.sub(rb"\s+", b"", v) for k, v in _TAG.findall(sig_field.partition(b":")[2])}
        name = tags[b"s"] + b"._domainkey." + tags[b"d"]
        if name not in keys:
            p = dns.txt(name.decode()).pop().rpartition("p=")[2]
            der = base64.b64decode(p)
            if tags[b"a"] == b"ed25519-sha256":
                from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

                keys[name] = Ed25519PublicKey.from_public_bytes(der)
            else:
                keys[name] = load_der_public_key(der)
        names = tags[b"h"].decode().split(":")
        others = [f for f in fields if f is not sig_field]
        data = signing_input(others, names, _SIG_B.sub(rb"\1", sig_field))
        items.append((keys[name], tags[b"a"].decode(), base64.b64decode(tags[b"b"]), data, body + b"\r\n"
                      if not body.endswith(b"\r\n") else body, base64.b64decode(tags[b"bh"])))
    return items


def run_floor(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    messages, entries = load_messages(data, limit)
    loaded = rss_kb()
    items = floor_items(messages, data / "dns.json")
    del messages
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def one_pass() -> list[str]:
        out = []
        for key, algorithm, signature, signed, body, bh in items:
            if hashlib.sha256(body).digest() != bh:
                out.append("fail")
                continue
            try:
                if algorithm == "rsa-sha256":
                    key.verify(signature, signed, pkcs1, sha256)
                else:
                    key.verify(signature, hashlib.sha256(signed).digest())
                out.append("pass")
            except InvalidSignature:
                out.append("fail")
        return out

    return measure(one_pass, len(items), runs, _outcomes(entries), "msg/s", loaded)


TOOLS = {"mailwarden": run_mailwarden, "mailwarden-nocache": run_mailwarden_nocache,
         "dkimpy": run_dkimpy, "floor": run_floor}

if __name__ == "__main__":
    worker_main(TOOLS)
