"""Real Postfix instances on loopback for the catch-all probe.

Two separate instances (own config dir, queue, data and log dirs in a session
temp dir, removed at the end; free ports on 127.0.0.1), built after ../shared/recipes/postfix:

* ``catchall``: ``@catchall.test`` maps to one Maildir, so every local part is accepted;
* ``strict``: only ``postmaster@strict.test`` exists (unknown users get
  ``550 5.1.1``); ``grey.test`` is answered ``450 4.2.0 Greylisted`` by a
  ``check_recipient_access`` table, as a greylisting server does.

Recipe pitfalls honoured: chroot ``n`` everywhere, ``maillog_file`` under a
prefix listed in ``maillog_file_prefixes`` (no syslogd), ``set-permissions`` run
once per session (it is slow), nothing can leave the box (all transports
``error:``).  With ``CI=true`` a missing postfix is a failure, not a skip.
"""

from __future__ import annotations

import shutil

import pytest
from tests.support.postfix import (
    PostfixInstance,
    configure,
    make_base,
    require_postfix,
    start_instances,
    stop_instances,
)


@pytest.fixture(scope="session")
def postfix_pair():
    """Start the ``catchall`` and ``strict`` instances; stop both at the end of the session."""
    postfix = require_postfix()
    base = make_base()
    instances = {
        "catchall": configure(base, "catchall", ["catchall.test"],
                              "@catchall.test   catchall.test/all/\n", ""),
        "strict": configure(base, "strict", ["strict.test", "grey.test"],
                            "postmaster@strict.test   strict.test/postmaster/\n"
                            "postmaster@grey.test   grey.test/postmaster/\n",
                            "grey.test   450 4.2.0 Greylisted, please try again later\n"),
    }
    started: list[PostfixInstance] = []
    try:
        started = start_instances(postfix, list(instances.values()))
        yield instances
    finally:
        stop_instances(postfix, started)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postfix_catchall(postfix_pair) -> PostfixInstance:
    return postfix_pair["catchall"]


@pytest.fixture(scope="session")
def postfix_strict(postfix_pair) -> PostfixInstance:
    return postfix_pair["strict"]
