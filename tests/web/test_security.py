"""SPEC section 13 security rules, each tested through the real app (Starlette TestClient)."""

from __future__ import annotations

import re

import pytest
from tests.conftest import run_cli
from tests.web.conftest import csrf_of, example_message

from mailwarden.errors import InputError
from mailwarden.web.config import (
    WebConfig,
    check_bind,
    hash_password,
    is_loopback,
    load_credentials,
    token_digest,
    verify_password,
)
from mailwarden.web.security import CONTENT_SECURITY_POLICY, SessionCodec

PASSWORD = "correct horse battery"


# ---------------------------------------------------------------- CSRF
@pytest.mark.parametrize(("path", "data"), [
    ("/diagnose", {"me": "dana@fabrikam.example", "message": "From: x@y.example\n\nhi"}),
    ("/audit", {"domain": "fabrikam.example"}),
    ("/logout", {}),
])
def test_post_without_csrf_token_is_refused(client, path, data):
    client.get("/")  # a session exists, but the form did not come from our page
    r = client.post(path, data=data)
    assert r.status_code == 403
    assert "not sent from this site" in r.text


def test_post_with_wrong_or_foreign_csrf_token_is_refused(client, client_for):
    page = client.get("/")
    other = client_for()
    other_token = csrf_of(other.get("/").text)
    assert other_token != csrf_of(page.text)
    for token in (other_token, "", "x" * 43, csrf_of(page.text) + "x"):
        r = client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example", "message": "x"})
        assert r.status_code == 403


def test_post_with_token_but_without_session_cookie_is_refused(client, client_for):
    token = csrf_of(client.get("/").text)
    fresh = client_for()  # an attacker's page posting a token it scraped, from the victim's browser
    r = fresh.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example", "message": "x"})
    assert r.status_code == 403


def test_every_form_carries_the_csrf_token(client):
    for path in ("/", "/audit"):
        html = client.get(path).text
        token = csrf_of(html)
        assert html.count("<form") == html.count(f'name="csrf" value="{token}"')


def test_post_with_token_is_answered(client):
    token = csrf_of(client.get("/").text)
    r = client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example",
                                       "message": example_message().decode()})
    assert r.status_code == 200
    assert "FORGED" in r.text


# ---------------------------------------------------------------- session cookie
def test_session_cookie_is_httponly_samesite_and_signed(client):
    r = client.get("/")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    codec = SessionCodec(b"another secret", 3600)
    assert codec.loads(cookie.split(";")[0].split("=", 1)[1]) is None  # signed with the app's own key


def test_tampered_or_expired_session_is_a_new_session():
    codec = SessionCodec(b"k" * 32, 60)
    from mailwarden.web.security import Session

    value = codec.dumps(Session("t" * 43, True, 1000))
    assert codec.loads(value, now=1030).authenticated
    assert codec.loads(value, now=1061) is None
    payload, sig = value.split(".")
    assert codec.loads(payload[:-2] + "xx." + sig, now=1030) is None
    assert codec.loads("garbage", now=1030) is None


# ---------------------------------------------------------------- headers
def test_security_headers_on_every_response(client):
    for path, method in (("/", "GET"), ("/audit", "GET"), ("/static/style.css", "GET"),
                         ("/nope", "GET"), ("/diagnose", "POST")):
        r = client.request(method, path)
        csp = r.headers["content-security-policy"]
        assert csp == CONTENT_SECURITY_POLICY
        assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(client):
    token = csrf_of(client.get("/").text)
    pages = [client.get("/").text, client.get("/audit").text,
             client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example",
                                            "message": example_message().decode()}).text,
             client.post("/audit", data={"csrf": token, "domain": "fabrikam.example"}).text]
    for html in pages:
        low = html.lower()
        assert "<script" not in low and " style=" not in low and "<style" not in low
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", low)
        assert "http://" not in low and "https://" not in low  # nothing loaded from another site


# ---------------------------------------------------------------- upload limit
def test_upload_over_the_limit_is_refused_with_413(client_for):
    c = client_for(upload_limit=100_000)
    token = csrf_of(c.get("/").text)
    big = b"Subject: x\r\n\r\n" + b"A" * 300_000
    r = c.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example"},
               files={"upload": ("big.eml", big, "message/rfc822")})
    assert r.status_code == 413
    assert "too large" in r.text
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_upload_limit_is_enforced_while_reading_without_content_length(client_for):
    c = client_for(upload_limit=50_000)
    token = csrf_of(c.get("/").text)

    def chunks():
        yield f"csrf={token}&me=dana%40fabrikam.example&message=".encode()
        for _ in range(100):
            yield b"A" * 10_000

    r = c.post("/diagnose", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_upload_under_the_limit_is_read(client_for):
    from tests.web.conftest import example_dns

    c = client_for(upload_limit=100_000, dns=example_dns())
    token = csrf_of(c.get("/").text)
    r = c.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example"},
               files={"upload": ("m.eml", example_message(), "message/rfc822")})
    assert r.status_code == 200 and "FORGED" in r.text


# ---------------------------------------------------------------- bind and login
@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.com"])
def test_open_bind_without_password_is_refused(host):
    with pytest.raises(InputError, match="refusing to listen"):
        check_bind(WebConfig(host=host))
    check_bind(WebConfig(host=host, password_hash=hash_password(PASSWORD)))
    check_bind(WebConfig(host=host, token_sha256=token_digest("t" * 20)))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_password(host):
    assert is_loopback(host)
    check_bind(WebConfig(host=host))


def test_cli_refuses_open_bind_without_password():
    done = run_cli("web", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert b"refusing to listen on 0.0.0.0" in done.stderr
    assert b"Traceback" not in done.stderr


def test_password_is_kept_hashed_and_never_taken_from_argv(tmp_path):
    stored = hash_password(PASSWORD)
    assert PASSWORD not in stored and stored.startswith("scrypt$")
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "x", stored)
    assert hash_password(PASSWORD) != stored  # salted
    file = tmp_path / "pw"
    file.write_text(PASSWORD + "\n")
    digest, token = load_credentials(str(file), None, environ={})
    assert verify_password(PASSWORD, digest) and token is None
    file.write_text(stored + "\n")  # a file may hold the hash itself
    assert load_credentials(str(file), None, environ={})[0] == stored
    env_hash, _ = load_credentials(environ={"MAILWARDEN_WEB_PASSWORD": PASSWORD})
    assert verify_password(PASSWORD, env_hash)
    with pytest.raises(InputError):
        load_credentials(environ={"MAILWARDEN_WEB_PASSWORD": "short"})
    assert b"--password " not in run_cli("web", "--help").stdout


def test_login_required_when_a_password_is_set(client_for):
    c = client_for(password_hash=hash_password(PASSWORD))
    r = c.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/audit"
    page = c.get("/login?next=/audit")
    token = csrf_of(page.text)
    assert c.post("/login", data={"password": PASSWORD, "next": "/audit"}).status_code == 403  # no CSRF
    bad = c.post("/login", data={"csrf": token, "password": "wrong password", "next": "/audit"})
    assert bad.status_code == 403 and "not right" in bad.text
    ok = c.post("/login", data={"csrf": token, "password": PASSWORD, "next": "/audit"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/audit"
    assert "HttpOnly" in ok.headers["set-cookie"]
    page = c.get("/audit")
    assert page.status_code == 200 and "Log out" in page.text
    new_token = csrf_of(page.text)
    assert new_token != token  # a fresh token after login
    c.post("/logout", data={"csrf": new_token})
    assert c.get("/audit", follow_redirects=False).status_code == 303


def test_login_redirect_stays_on_this_site(client_for):
    c = client_for(password_hash=hash_password(PASSWORD))
    token = csrf_of(c.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        r = c.post("/login", data={"csrf": token, "password": PASSWORD, "next": target}, follow_redirects=False)
        assert r.headers["location"] == "/"
        token = csrf_of(c.get("/login").text)


def test_bearer_token_opens_the_pages(client_for):
    c = client_for(token_sha256=token_digest("s3cret-token-for-scripts"))
    assert c.get("/", follow_redirects=False).status_code == 303
    assert c.get("/", headers={"authorization": "Bearer wrong"}, follow_redirects=False).status_code == 303
    assert c.get("/", headers={"authorization": "Bearer s3cret-token-for-scripts"}).status_code == 200
