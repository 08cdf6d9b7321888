"""Sessions, CSRF tokens, response headers and the request size limit (SPEC section 13).

* A session is a signed cookie (HMAC-SHA256 over its JSON; ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` over HTTPS) holding the CSRF token and whether
  the visitor logged in.  Nothing else is kept, on either side.
* Every form carries the session's CSRF token; a POST without the right one is
  refused with 403 (:func:`csrf_ok`).
* :class:`Guard` is the outermost ASGI layer: it adds the Content-Security-Policy
  (no inline script or style, nothing from another site, no framing) and the other
  security headers to every response, and counts request body bytes while they
  are read, answering 413 as soon as the limit is passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "mw_session"
CSRF_FIELD = "csrf"
MAX_COOKIE_LENGTH = 2048

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cache-control", b"no-store"),
)


@dataclass(frozen=True)
class Session:
    """What the signed cookie holds."""

    csrf: str
    authenticated: bool = False
    issued: int = 0
    #: True when the cookie must be (re)written on the response.
    changed: bool = False

    def login(self) -> Session:
        """A fresh CSRF token on login (no fixation of a token seen before)."""
        return Session(secrets.token_urlsafe(32), True, int(time.time()), True)

    def logout(self) -> Session:
        return Session(secrets.token_urlsafe(32), False, int(time.time()), True)


class SessionCodec:
    """Signs and checks session cookies with the app's secret."""

    def __init__(self, secret: bytes, max_age: int) -> None:
        self._key = hashlib.sha256(b"mailwarden-web-session\0" + secret).digest()
        self.max_age = max_age

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def dumps(self, session: Session) -> str:
        body = json.dumps({"c": session.csrf, "a": session.authenticated, "t": session.issued},
                          separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def loads(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie, or None when it is absent, forged or expired."""
        if not value or len(value) > MAX_COOKIE_LENGTH or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        if not hmac.compare_digest(self._sign(payload.encode()), signature):
            return None
        try:
            data: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            csrf, authenticated, issued = str(data["c"]), bool(data["a"]), int(data["t"])
        except (ValueError, KeyError, TypeError):
            return None
        if (now if now is not None else time.time()) - issued > self.max_age or len(csrf) < 32:
            return None
        return Session(csrf, authenticated, issued)

    def load(self, request: Request) -> Session:
        """The request's session, or a new anonymous one (to be written on the response)."""
        found = self.loads(request.cookies.get(SESSION_COOKIE))
        if found is not None:
            return found
        return Session(secrets.token_urlsafe(32), False, int(time.time()), True)

    def save(self, response: Response, session: Session, request: Request) -> None:
        if not session.changed:
            return
        response.set_cookie(SESSION_COOKIE, self.dumps(replace(session, changed=False)), max_age=self.max_age,
                            path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def csrf_ok(session: Session, submitted: object) -> bool:
    """The form's token equals the session's (constant-time)."""
    return isinstance(submitted, str) and hmac.compare_digest(submitted.encode(), session.csrf.encode())


class BodyTooLarge(Exception):
    """The request body passed the configured limit while it was being read."""


class Guard:
    """ASGI middleware: security headers on every response, body size limit while reading (413)."""

    def __init__(self, app: Any, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._too_large(send_with_headers)
            return
        seen = 0

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(send_with_headers)

    async def _too_large(self, send: Any) -> None:
        response = too_large_response(self.limit)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def too_large_response(limit: int) -> Response:
    """413, in plain words."""
    mib = limit / (1024 * 1024)
    body = ("<!doctype html><meta charset=utf-8><title>Too large</title><h1>That is too large</h1>"
            f"<p>The largest message this page accepts is {mib:.1f} MiB. Paste only the headers, "
            "or leave out the attachments.</p>")
    return Response(body, 413, headers={"connection": "close"}, media_type="text/html")


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
