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

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {run}/spool
data_directory = {run}/data
maillog_file_prefixes = /var, /dev/stdout, {run}/log
maillog_file = {run}/log/maillog
myhostname = mx.{domain}
mydomain = {domain}
myorigin = $mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP test-instance
biff = no
append_dot_mydomain = no
readme_directory = no
smtputf8_enable = no
smtpd_peername_lookup = no
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:local delivery disabled in test instance
default_transport = error:outbound mail disabled in test instance
relay_transport = error:outbound mail disabled in test instance
relayhost =
virtual_mailbox_domains = {domains}
virtual_mailbox_base = {run}/mail
virtual_mailbox_maps = texthash:{etc}/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{etc}/recipient_access, permit
"""


@dataclass(frozen=True)
class PostfixInstance:
    """One running test instance."""

    name: str
    port: int
    etc: Path
    run: Path

    @property
    def maillog(self) -> Path:
        return self.run / "log" / "maillog"

    def log_text(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_postfix() -> str:
    postfix = shutil.which("postfix") or ("/usr/sbin/postfix" if Path("/usr/sbin/postfix").exists() else None)
    if postfix is None:
        message = "postfix is not installed (apt-get install -y postfix)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    if os.geteuid() != 0:
        message = "a separate Postfix instance needs root (postfix -c DIR start)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return postfix


def _configure(base: Path, name: str, domains: list[str], vmailbox: str, access: str) -> PostfixInstance:
    etc, run = base / name / "etc", base / name / "run"
    for d in (etc, run / "spool", run / "data", run / "mail", run / "log"):
        d.mkdir(parents=True, exist_ok=True)
    shutil.chown(run / "data", "postfix", "postfix")
    port = _free_port()
    (etc / "main.cf").write_text(MAIN_CF.format(run=run, etc=etc, domain=domains[0], domains=", ".join(domains)))
    (etc / "master.cf").write_text(MASTER_CF.format(port=port))
    (etc / "vmailbox").write_text(vmailbox)
    (etc / "recipient_access").write_text(access)
    return PostfixInstance(name, port, etc, run)


def _wait_port(port: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def postfix_pair():
    """Start the ``catchall`` and ``strict`` instances; stop both at the end of the session."""
    postfix = _require_postfix()
    # Not under tmp_path_factory: its parents are 0700 and the postfix user must reach data_directory.
    base = Path(tempfile.mkdtemp(prefix="mailwarden-postfix-"))
    base.chmod(0o755)
    instances = {
        "catchall": _configure(base, "catchall", ["catchall.test"],
                               "@catchall.test   catchall.test/all/\n", ""),
        "strict": _configure(base, "strict", ["strict.test", "grey.test"],
                             "postmaster@strict.test   strict.test/postmaster/\n"
                             "postmaster@grey.test   grey.test/postmaster/\n",
                             "grey.test   450 4.2.0 Greylisted, please try again later\n"),
    }
    # set-permissions is slow (~3 s): run both in parallel, once per session.
    procs = [subprocess.Popen([postfix, "-c", str(i.etc), "set-permissions"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in instances.values()]
    for p in procs:
        p.wait(timeout=60)
    started: list[PostfixInstance] = []
    try:
        for inst in instances.values():
            check = subprocess.run([postfix, "-c", str(inst.etc), "check"], capture_output=True, text=True)
            if check.returncode != 0:
                pytest.fail(f"postfix check failed for {inst.name}: {check.stderr.strip()}")
            res = subprocess.run([postfix, "-c", str(inst.etc), "start"], capture_output=True, text=True)
            if res.returncode != 0:
                pytest.fail(f"postfix {inst.name} did not start: {res.stderr.strip()}")
            started.append(inst)
            if not _wait_port(inst.port, 15):
                pytest.fail(f"postfix {inst.name} is not listening on 127.0.0.1:{inst.port}:\n{inst.log_text()[-2000:]}")
        yield instances
    finally:
        for inst in started:
            subprocess.run([postfix, "-c", str(inst.etc), "stop"], capture_output=True, timeout=30)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postfix_catchall(postfix_pair) -> PostfixInstance:
    return postfix_pair["catchall"]


@pytest.fixture(scope="session")
def postfix_strict(postfix_pair) -> PostfixInstance:
    return postfix_pair["strict"]
