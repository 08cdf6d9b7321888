"""``mailwarden web`` as a user starts it: the real command, uvicorn, a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.conftest import run_cli
from tests.support.nsd import free_port

from mailwarden.web.config import verify_password


def test_hash_password_reads_stdin_and_prints_a_scrypt_hash():
    done = run_cli("web", "--hash-password", input=b"correct horse battery\n")
    assert done.returncode == 0
    stored = done.stdout.decode().strip()
    assert verify_password("correct horse battery", stored)
    assert run_cli("web", "--hash-password", input=b"short\n").returncode == 2


def test_open_bind_starts_with_a_password_from_a_file_and_asks_for_login(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("correct horse battery\n")
    port = free_port()
    env = {**os.environ, "MAILWARDEN_WEB_PASSWORD": ""}
    server = subprocess.Popen([sys.executable, "-m", "mailwarden", "web", "--host", "127.0.0.2", "--port", str(port),
                               "--password-file", str(secret)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.2:{port}/login", timeout=5) as response:
                    page = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "mailwarden web did not start"
                time.sleep(0.1)
        assert 'name="password"' in page
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        request = urllib.request.Request(f"http://127.0.0.2:{port}/")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=5)
            raise AssertionError("the home page answered without a login")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303 and exc.headers["location"] == "/login?next=/"
    finally:
        server.terminate()
        server.wait(10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
