"""``mailwarden web``: the diagnosis, the domain audit and the reports dashboard in a browser.

A front end (SPEC section 13): it calls the services and renders their answers as
HTML; it never runs an engine itself.  Needs the optional ``web`` extra
(Starlette, Jinja2, uvicorn, python-multipart)::

    from mailwarden.web import create_app
    app = create_app(dns="dns.json")     # an ASGI app; `mailwarden web` serves it with uvicorn
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`mailwarden.web.app.create_app`."""
    from mailwarden.web.app import create_app as build

    return build(*args, **kwargs)


__all__ = ["create_app"]
