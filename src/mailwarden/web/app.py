"""The ASGI application behind ``mailwarden web`` (SPEC section 13).

Pages (all linked from ``/``):

* ``/``          the diagnosis form: paste or upload a message, enter your address;
* ``/diagnose``  (POST) the answer: verdict first, then the evidence, then what to do;
                 nothing is stored, and DNS is looked up only when the visitor asks;
* ``/audit``     a domain's SPF, DKIM, DMARC and MX set-up (SPEC section 7);
* ``/reports``   the DMARC reports dashboard: who sends mail as the domain (SPEC section 12);
* ``/login``, ``/logout`` when a password or token is configured.

Every page works without JavaScript (there is none); every string that came from a
message, a report or DNS is escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mailwarden.errors import DNSUnavailableError, InputError
from mailwarden.web import answers
from mailwarden.web.config import WebConfig
from mailwarden.web.security import (
    CSRF_FIELD,
    BodyTooLarge,
    Guard,
    Session,
    SessionCodec,
    csrf_ok,
    too_large_response,
)

Handler = Callable[[Request, Session], Awaitable[Response]]
STATIC_DIR = Path(__file__).with_name("static")
MAX_FORM_FIELDS = 30
#: Seconds a wrong password waits before the answer.
LOGIN_FAILURE_DELAY = 1.0
#: Room for the other form fields and the multipart framing around an upload.
FORM_OVERHEAD = 64 * 1024


def make_templates() -> Environment:
    """Jinja2 with autoescaping on for every template (attacker text is everywhere)."""
    env = Environment(loader=PackageLoader("mailwarden.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    from mailwarden.diagnose.wording import HEADLINES, LABELS, headline

    env.globals.update(HEADLINES=HEADLINES, LABELS=LABELS, headline=headline)
    env.filters["count"] = count_of
    return env


def count_of(number: int, word: str) -> str:
    """``1, "message"`` -> ``1 message``; ``1200, "message"`` -> ``1,200 messages``."""
    return f"{number:,} {word}{'' if number == 1 else 's'}"


class WebApp:
    """The pages, bound to one configuration."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.sessions = SessionCodec(config.secret, config.session_seconds)
        self.templates = make_templates()
        self._store: Any = None
        self.analyses = _analysis_cache()
        self._store_lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def render(self, request: Request, session: Session, name: str, status: int = 200, **context: Any) -> Response:
        context.update(csrf=session.csrf, csrf_field=CSRF_FIELD, login_required=self.config.login_required,
                       authenticated=session.authenticated, path=request.url.path)
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    def page(self, handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """Session, login and CSRF checks around one page."""

        async def endpoint(request: Request) -> Response:
            session = self.sessions.load(request)
            if not public and self.config.login_required and not session.authenticated and not self._bearer(request):
                if request.method == "GET":
                    response: Response = RedirectResponse(f"/login?next={_safe_next(request.url.path)}", 303)
                else:
                    response = self.render(request, session, "error.html", 403, title="Please log in",
                                           message="Your session has ended. Log in again.")
                self.sessions.save(response, session, request)
                return response
            if request.method == "POST":
                try:
                    form = await self._read_form(request)
                except MultiPartException as exc:
                    return self.render(request, session, "error.html", 400, title="Unreadable form",
                                       message=f"The form could not be read: {exc.message}")
                if not csrf_ok(session, form.get(CSRF_FIELD)):
                    response = self.render(request, session, "error.html", 403, title="Form expired",
                                           message="This form was not sent from this site's own page, or it is "
                                                   "too old. Go back, reload the page and send it again.")
                    self.sessions.save(response, session, request)
                    return response
                request.state.form = form
            response = await handler(request, session)
            self.sessions.save(response, getattr(request.state, "session", session), request)
            return response

        return endpoint

    def _bearer(self, request: Request) -> bool:
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return scheme.lower() == "bearer" and self.config.check_token(token.strip())

    async def _read_form(self, request: Request) -> FormData:
        """The form, kept in memory (an uploaded message never reaches the disk)."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.config.upload_limit
        if ctype == "multipart/form-data":
            parser = MultiPartParser(request.headers, request.stream(), max_files=1, max_fields=MAX_FORM_FIELDS,
                                     max_part_size=limit)
            parser.spool_max_size = limit + 1
            return await parser.parse()
        if ctype == "application/x-www-form-urlencoded":
            return await FormParser(request.headers, request.stream(), max_fields=MAX_FORM_FIELDS,
                                    max_part_size=limit).parse()
        return FormData()

    # ------------------------------------------------------------------ pages
    async def home(self, request: Request, session: Session) -> Response:
        return self.render(request, session, "index.html", form={})

    async def diagnose(self, request: Request, session: Session) -> Response:
        form = request.state.form
        text = _field(form, "message")
        upload = form.get("upload")
        data = b""
        if isinstance(upload, UploadFile):
            data = await upload.read(self.config.upload_limit + 1)
            await upload.close()
        if not data.strip():
            data = text.encode("utf-8", "surrogateescape")
        identities = _field(form, "me")
        live = _field(form, "live") == "yes"
        authserv = tuple(_field(form, "authserv_id").split())[:5]
        sticky = {"me": identities, "live": live, "authserv_id": " ".join(authserv), "message": text}
        if not data.strip():
            return self.render(request, session, "index.html", 400, form=sticky,
                               error="Paste the message (or at least its headers), or choose an .eml file.")
        try:
            me, domains = answers.split_identities(identities)
            result = await run_in_threadpool(
                answers.diagnose, data, me=me, domains=domains, trusted_authserv_ids=authserv,
                dns=self.config.dns, nameserver=self.config.nameserver, live=live)
        except InputError as exc:
            return self.render(request, session, "index.html", 400, form=sticky, error=str(exc))
        except DNSUnavailableError as exc:
            return self.render(request, session, "index.html", 503, form=sticky, error=_dns_failed(exc))
        return self.render(request, session, "diagnosis.html", d=result, live=live, identities=identities)

    async def audit(self, request: Request, session: Session) -> Response:
        if request.method == "GET":
            return self.render(request, session, "audit.html", form={})
        form = request.state.form
        domain = _field(form, "domain").strip()
        selectors = tuple(_field(form, "selectors").replace(",", " ").split())[:10]
        no_mail = _field(form, "no_mail") == "yes"
        sticky = {"domain": domain, "selectors": " ".join(selectors), "no_mail": no_mail}
        try:
            report = await run_in_threadpool(answers.audit, domain, selectors=selectors, no_mail=no_mail,
                                             dns=self.config.dns, nameserver=self.config.nameserver)
        except InputError as exc:
            return self.render(request, session, "audit.html", 400, form=sticky, error=str(exc))
        except DNSUnavailableError as exc:
            return self.render(request, session, "audit.html", 503, form=sticky, error=_dns_failed(exc))
        return self.render(request, session, "audit.html", form=sticky, report=report)

    async def reports(self, request: Request, session: Session) -> Response:
        from mailwarden.web import dashboard

        try:
            view = dashboard.View.from_query(request.query_params)
            board = await run_in_threadpool(self._dashboard, view)
        except InputError as exc:
            return self.render(request, session, "reports.html", 400, board=None, error=str(exc))
        return self.render(request, session, "reports.html", board=board)

    def _dashboard(self, view: Any) -> Any:
        from mailwarden.web import dashboard

        return dashboard.build(self.store(), view, dns=self.config.dns, nameserver=self.config.nameserver,
                               reverse_dns=self.config.reverse_dns, cache=self.analyses)

    def store(self) -> Any:
        """The reports store, opened (and migrated) on first use."""
        with self._store_lock:
            if self._store is None:
                from mailwarden.reports.store import Store

                self._store = Store.open(self.config.db_url)
            return self._store

    async def login(self, request: Request, session: Session) -> Response:
        target = _safe_next(request.query_params.get("next", "/"))
        if request.method == "GET":
            return self.render(request, session, "login.html", next=target)
        form = request.state.form
        target = _safe_next(_field(form, "next") or "/")
        secret = _field(form, "password")
        if not self.config.login_required or not await run_in_threadpool(self.config.check_password, secret):
            await asyncio.sleep(LOGIN_FAILURE_DELAY)  # guessing costs time (scrypt already costs memory)
            return self.render(request, session, "login.html", 403, next=target, error="That password is not right.")
        request.state.session = session.login()
        return RedirectResponse(target, 303)

    async def logout(self, request: Request, session: Session) -> Response:
        request.state.session = session.logout()
        return RedirectResponse("/login" if self.config.login_required else "/", 303)


def _analysis_cache() -> Any:
    from mailwarden.web.dashboard import AnalysisCache

    return AnalysisCache()


def _dns_failed(exc: Exception) -> str:
    return f"Nothing can be concluded: {exc}. Trying again later may help."


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no //evil)."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return parts.path or "/"


def create_app(config: WebConfig | None = None, **overrides: Any) -> Any:
    """The ASGI app; ``create_app(dns={...})`` answers DNS from a snapshot (tests)."""
    if config is None:
        config = WebConfig(**overrides)
    elif overrides:
        from dataclasses import replace

        config = replace(config, **overrides)
    web = WebApp(config)
    public = {"public": True}
    routes = [
        Route("/", web.page(web.home), methods=["GET"]),
        Route("/diagnose", web.page(web.diagnose), methods=["POST"]),
        Route("/audit", web.page(web.audit), methods=["GET", "POST"]),
        Route("/reports", web.page(web.reports), methods=["GET"]),
        Route("/login", web.page(web.login, **public), methods=["GET", "POST"]),
        Route("/logout", web.page(web.logout, **public), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    limit = config.upload_limit + FORM_OVERHEAD

    async def body_too_large(request: Request, exc: Exception) -> Response:
        return too_large_response(limit)

    app = Starlette(routes=routes, exception_handlers={BodyTooLarge: body_too_large})
    app.state.web = web
    return Guard(app, limit=limit)
