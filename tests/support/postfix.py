"""Real Postfix instances on loopback, started by the tests (after ../shared/recipes/postfix).

Each instance has its own config dir, queue, data, mail and log dirs under a
base folder, a free port on 127.0.0.1, chroot ``n`` everywhere and
``maillog_file`` under a prefix listed in ``maillog_file_prefixes`` (there is
no syslogd).  Nothing can leave the box: all transports are ``error:``.
``set-permissions`` is slow (~3 s), so :func:`start_instances` runs it for
all instances in parallel, once per session.  With ``CI=true`` a missing
postfix is a failure, not a skip.
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_postfix() -> str:
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


def configure(base: Path, name: str, domains: list[str], vmailbox: str, access: str = "", extra_main: str = "",
              port: int | None = None) -> PostfixInstance:
    """Write the config of one instance (not started); ``extra_main`` is appended to main.cf."""
    etc, run = base / name / "etc", base / name / "run"
    for d in (etc, run / "spool", run / "data", run / "mail", run / "log"):
        d.mkdir(parents=True, exist_ok=True)
    shutil.chown(run / "data", "postfix", "postfix")
    os.chown(run / "mail", 65534, 65534)  # virtual_uid_maps: deliveries are written as nobody
    port = port or free_port()
    (etc / "main.cf").write_text(MAIN_CF.format(run=run, etc=etc, domain=domains[0], domains=", ".join(domains))
                                 + extra_main)
    (etc / "master.cf").write_text(MASTER_CF.format(port=port))
    (etc / "vmailbox").write_text(vmailbox)
    (etc / "recipient_access").write_text(access)
    return PostfixInstance(name, port, etc, run)


def wait_port(port: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False




def make_base() -> Path:
    """A base folder the postfix user can traverse (tmp_path_factory's parents are 0700)."""
    base = Path(tempfile.mkdtemp(prefix="mailwarden-postfix-"))
    base.chmod(0o755)
    return base


def start_instances(postfix: str, instances: list[PostfixInstance]) -> list[PostfixInstance]:
    """set-permissions (in parallel), check and start each instance; returns those started.

    Calls ``pytest.fail`` (after stopping what started) when one cannot start.
    """
    procs = [subprocess.Popen([postfix, "-c", str(i.etc), "set-permissions"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in instances]
    for p in procs:
        p.wait(timeout=60)
    started: list[PostfixInstance] = []
    try:
        for inst in instances:
            check = subprocess.run([postfix, "-c", str(inst.etc), "check"], capture_output=True, text=True)
            if check.returncode != 0:
                pytest.fail(f"postfix check failed for {inst.name}: {check.stderr.strip()}")
            res = subprocess.run([postfix, "-c", str(inst.etc), "start"], capture_output=True, text=True)
            if res.returncode != 0:
                pytest.fail(f"postfix {inst.name} did not start: {res.stderr.strip()}")
            started.append(inst)
            if not wait_port(inst.port, 15):
                pytest.fail(f"postfix {inst.name} is not listening on 127.0.0.1:{inst.port}:\n{inst.log_text()[-2000:]}")
    except BaseException:
        stop_instances(postfix, started)
        raise
    return started


def stop_instances(postfix: str, instances: list[PostfixInstance]) -> None:
    for inst in instances:
        subprocess.run([postfix, "-c", str(inst.etc), "stop"], capture_output=True, timeout=30)
