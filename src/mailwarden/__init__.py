"""mailwarden: "spam from my own address?" answered with evidence.

The library API (SPEC section 11, ``docs/library.md``)::

    import mailwarden

    report = mailwarden.authenticate(raw, ip="192.0.2.1", helo="mx.example", mail_from="a@example.com")
    d = mailwarden.diagnose(raw, me=["dana@fabrikam.example"], dns="dns.json")
    a = mailwarden.audit("fabrikam.example", selectors=("s1",), dns="dns.json")

    async with mailwarden.Authenticator(dns=None) as auth:
        report = await auth.authenticate(raw, ip=..., helo=..., mail_from=...)

Layers (dependencies point down only): front ends (``cli``) -> services
(``diagnose``, ``audit``, ``bounces``, ``allowlist``) -> the session (``auth``)
-> protocol engine (``spf``, ``dkim``, ``dmarc``, ``arc``, ``authres``) ->
foundations (``dns``, ``message``, ``psl``, ``cache``).

Classes are imported on first use, so ``import mailwarden`` (and ``mailwarden --help``)
stays fast.  The packages ``mailwarden.diagnose`` and ``mailwarden.audit`` are loaded
before the functions of the same name are bound here: importing a package binds its
name on the parent once, at first load, so the functions stay what
``mailwarden.diagnose`` and ``mailwarden.audit`` mean (``from mailwarden.diagnose.service
import ...`` is unaffected).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mailwarden.errors import DNSUnavailableError, InputError, MailwardenError

__version__ = "0.1.0"

importlib.import_module("mailwarden.audit")
importlib.import_module("mailwarden.diagnose")
from mailwarden.api import audit, authenticate, diagnose  # noqa: E402 - after the packages, see above

if TYPE_CHECKING:
    from mailwarden.audit.results import AuditReport
    from mailwarden.auth import Authenticator, AuthReport
    from mailwarden.diagnose.results import Diagnosis

_LAZY = {
    "Authenticator": "mailwarden.auth",
    "AuthReport": "mailwarden.auth",
    "Diagnosis": "mailwarden.diagnose.results",
    "AuditReport": "mailwarden.audit.results",
}

__all__ = [
    "AuditReport",
    "AuthReport",
    "Authenticator",
    "DNSUnavailableError",
    "Diagnosis",
    "InputError",
    "MailwardenError",
    "__version__",
    "audit",
    "authenticate",
    "diagnose",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mailwarden' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
