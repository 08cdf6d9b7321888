"""Bounce Address Tag Validation, ``prvs=`` scheme (draft-levine-smtp-batv-01 section 4.1).

A signed envelope sender looks like ``prvs=KDDDSSSSSS=local@domain``:

* ``K`` is a key number (one decimal digit, ``0`` here; section 4.1);
* ``DDD`` the expiry day: the day number (days since the Unix epoch) modulo
  1000, three decimal digits — the address is valid until the end of that day;
* ``SSSSSS`` six hexadecimal digits: the first three bytes of the keyed hash
  of ``K DDD local-part@domain``.

The draft uses SHA-1 HMAC; mailwarden uses **HMAC-SHA256 truncated to 3
bytes** (documented here; verification and signing must agree, and only the
signing domain ever verifies its own tags). The local part is hashed as written
(case preserved), the domain lower-cased.

Verification of a bounce's recipient: an address of a domain that signs is
``valid`` (tag good and not expired), ``expired``, ``bad-signature``,
``unsigned`` or ``malformed``. A bounce to anything but ``valid`` is
backscatter (section 5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from mailwarden.errors import KeyFileError

#: Default lifetime of a tag in days (section 4.1 suggests a week).
DEFAULT_VALID_DAYS = 7
_TAGGED = re.compile(r"^prvs=(\d)(\d{3})([0-9a-fA-F]{6})=(.+)@([^@]+)$", re.IGNORECASE)
_TAGGED_LOOSE = re.compile(r"^prvs=([^=]*)=(.+)@([^@]+)$", re.IGNORECASE)
MAX_KEY_BYTES = 64 * 1024


@dataclass(frozen=True)
class BatvResult:
    """Outcome of signing or verifying one address."""

    address: str
    result: str  # signed | valid | expired | bad-signature | unsigned | malformed
    original: str | None
    expiry_day: int | None
    expires: str | None  # ISO date of the last valid day
    detail: str

    @property
    def ok(self) -> bool:
        return self.result in ("signed", "valid")

    def to_json(self) -> dict[str, object]:
        return {"address": self.address, "result": self.result, "ok": self.ok, "original": self.original,
                "expiry_day": self.expiry_day, "expires": self.expires, "detail": self.detail}


def load_key(path: str) -> bytes:
    """The secret from ``path`` (surrounding white space removed); :class:`KeyFileError` if unusable."""
    try:
        data = Path(path).read_bytes()[: MAX_KEY_BYTES + 1]
    except IsADirectoryError:
        raise KeyFileError(f"cannot read BATV key file {path}: it is a directory") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read BATV key file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_BYTES:
        raise KeyFileError(f"BATV key file {path} is larger than {MAX_KEY_BYTES // 1024} KiB")
    key = data.strip()
    if not key:
        raise KeyFileError(f"BATV key file {path} is empty")
    return key


def day_number(now: float) -> int:
    return int(now // 86400)


def _iso_day(day: int) -> str:
    import datetime

    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def _tag(key: bytes, keynum: str, ddd: str, local: str, domain: str) -> str:
    msg = f"{keynum}{ddd}{local}@{domain.lower()}".encode("utf-8", "surrogateescape")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:6]


def _split(address: str) -> tuple[str, str]:
    address = address.strip().strip("<>")
    if "@" not in address:
        from mailwarden.errors import InputError

        raise InputError(f"not an e-mail address: {address!r}")
    local, domain = address.rsplit("@", 1)
    if not local or not domain:
        from mailwarden.errors import InputError

        raise InputError(f"not an e-mail address: {address!r}")
    return local, domain


def strip_tag(address: str) -> str:
    """``prvs=...=user@example.com`` -> ``user@example.com``; other addresses unchanged."""
    match = _TAGGED_LOOSE.match(address.strip().strip("<>"))
    return f"{match.group(2)}@{match.group(3)}" if match else address.strip().strip("<>")


def sign(address: str, key: bytes, now: float, *, valid_days: int = DEFAULT_VALID_DAYS,
         keynum: int = 0) -> BatvResult:
    """Tag ``address`` so that it verifies until the end of day ``today + valid_days``."""
    local, domain = _split(strip_tag(address))
    expiry = day_number(now) + valid_days
    ddd = f"{expiry % 1000:03d}"
    k = str(keynum % 10)
    signed = f"prvs={k}{ddd}{_tag(key, k, ddd, local, domain)}={local}@{domain}"
    return BatvResult(signed, "signed", f"{local}@{domain}", expiry, _iso_day(expiry),
                      f"valid until the end of {_iso_day(expiry)} (UTC)")


def verify(address: str, key: bytes, now: float, *, valid_days: int = DEFAULT_VALID_DAYS) -> BatvResult:
    """Check a tagged address, e.g. the recipient of a bounce (section 4.2).

    The three-digit day wraps every 1000 days: the expiry is the nearest day
    with those last digits that is not more than ``valid_days`` in the future
    (a tag more than ``1000 - valid_days`` days old therefore reads as expired).
    """
    text = address.strip().strip("<>")
    match = _TAGGED.match(text)
    if not match:
        if _TAGGED_LOOSE.match(text):
            return BatvResult(text, "malformed", strip_tag(text), None, None, "prvs= tag is not KDDDSSSSSS")
        return BatvResult(text, "unsigned", text, None, None, "no prvs= tag: not an address this domain signs")
    k, ddd, tag, local, domain = match.groups()
    original = f"{local}@{domain}"
    today = day_number(now)
    limit = today + valid_days
    expiry = limit - (limit - int(ddd)) % 1000
    expected = _tag(key, k, ddd, local, domain)
    if not hmac.compare_digest(expected, tag.lower()):
        return BatvResult(text, "bad-signature", original, expiry, _iso_day(expiry),
                          "the tag does not match this key: not signed here (forged or other key)")
    if today > expiry:
        return BatvResult(text, "expired", original, expiry, _iso_day(expiry),
                          f"the tag expired at the end of {_iso_day(expiry)} (UTC)")
    return BatvResult(text, "valid", original, expiry, _iso_day(expiry),
                      f"signed here, valid until the end of {_iso_day(expiry)} (UTC)")
