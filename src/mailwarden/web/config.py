"""How the web app is configured, and who may use it (SPEC section 13).

* It listens on 127.0.0.1 by default.  Bound to any other address it refuses to
  start unless a password or a token is configured (:func:`check_bind`).
* A password comes from the environment (``MAILWARDEN_WEB_PASSWORD``) or a file
  (``--password-file``), never from the command line (``ps`` would show it).  It is
  kept only as a salted scrypt hash (RFC 7914, :func:`hash_password`); a file may hold
  such a hash instead of the password itself (``mailwarden web --hash-password``).
* A token (``MAILWARDEN_WEB_TOKEN`` or ``--token-file``) is for scripts: it works as
  ``Authorization: Bearer TOKEN`` and on the login form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from mailwarden.errors import InputError

#: Largest request body (a pasted or uploaded message), enforced while reading.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
PASSWORD_ENV = "MAILWARDEN_WEB_PASSWORD"
TOKEN_ENV = "MAILWARDEN_WEB_TOKEN"
#: scrypt cost (RFC 7914 section 2): N=2**14, r=8, p=1 uses 16 MiB and ~50 ms per check.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_HASH_PREFIX = "scrypt"
MIN_SECRET_LENGTH = 8


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$SALT$HASH`` (base64) for ``password``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"{_HASH_PREFIX}${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def is_password_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 6 and parts[0] == _HASH_PREFIX and all(p.isdigit() for p in parts[1:4])


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison of ``password`` against a :func:`hash_password` string."""
    if not is_password_hash(stored) or len(password) > 1024:
        return False
    _, n, r, p, salt, digest = stored.split("$")
    try:
        salt_bytes = base64.urlsafe_b64decode(salt)
        expected = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt_bytes, n=int(n), r=int(r), p=int(p),
                             dklen=len(expected), maxmem=256 * 1024 * 1024)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, expected)


def token_digest(token: str) -> bytes:
    """Tokens are compared as SHA-256 digests, so the comparison time says nothing about the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class WebConfig:
    """Everything :func:`mailwarden.web.app.create_app` needs.

    ``dns``: ``None`` for live DNS through the system resolver, or what
    :func:`mailwarden.web.answers.make_resolver` accepts (a snapshot file, a dict in
    the SPEC section 4 format, or a resolver object) - tests pass a snapshot.
    ``password_hash``/``token_sha256``: who may log in (neither: nobody needs to,
    which is only allowed on a loopback address).
    """

    host: str = "127.0.0.1"
    port: int = 8025
    db_url: str | None = None
    dns: Any = None
    nameserver: str | None = None
    password_hash: str | None = None
    token_sha256: bytes | None = None
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    #: Look up the reverse DNS names of the biggest senders on the dashboard (through ``dns``).
    reverse_dns: bool = True
    #: Key that signs the session cookies; a new one per process unless given.
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    session_seconds: int = 12 * 3600

    @property
    def login_required(self) -> bool:
        return self.password_hash is not None or self.token_sha256 is not None

    def check_password(self, password: str) -> bool:
        ok = False
        if self.password_hash is not None:
            ok = verify_password(password, self.password_hash)
        if self.token_sha256 is not None:
            ok = hmac.compare_digest(token_digest(password), self.token_sha256) or ok
        return ok

    def check_token(self, token: str) -> bool:
        return self.token_sha256 is not None and hmac.compare_digest(token_digest(token), self.token_sha256)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(config: WebConfig) -> None:
    """Refuse a non-loopback address without a password or token (SPEC section 13)."""
    if not is_loopback(config.host) and not config.login_required:
        raise InputError(
            f"refusing to listen on {config.host}: anyone who can reach it could use the app. "
            f"Set a password ({PASSWORD_ENV} or --password-file) or a token ({TOKEN_ENV} or --token-file), "
            "or keep the default --host 127.0.0.1")


def read_secret_file(path: str, what: str) -> str:
    """The first line of a password or token file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(4096)
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} file {path} is not UTF-8 text") from None
    lines = text.splitlines()
    value = lines[0].strip() if lines else ""
    if not value:
        raise InputError(f"{what} file {path} is empty")
    return value


def load_credentials(password_file: str | None = None, token_file: str | None = None,
                     environ: dict[str, str] | None = None) -> tuple[str | None, bytes | None]:
    """(password hash, token digest) from the files or the environment; the plain texts are not kept."""
    env = os.environ if environ is None else environ
    password = read_secret_file(password_file, "password") if password_file else env.get(PASSWORD_ENV) or None
    token = read_secret_file(token_file, "token") if token_file else env.get(TOKEN_ENV) or None
    password_hash = None
    if password is not None:
        if is_password_hash(password):
            password_hash = password
        elif len(password) < MIN_SECRET_LENGTH:
            raise InputError(f"the web password must have at least {MIN_SECRET_LENGTH} characters")
        else:
            password_hash = hash_password(password)
    if token is not None and len(token) < 16:
        raise InputError("the web token must have at least 16 characters")
    return password_hash, (token_digest(token) if token is not None else None)
