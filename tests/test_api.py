"""The library API of SPEC section 11: the snippets run against the bundled example
(``examples/``) and the shared examples, and every ``to_json()`` equals the
``--json`` output of the matching command for the same input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import mailwarden
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "spoofed-from-self"
NOW = 1795500000.0


def cli_json(*args: str) -> dict:
    done = run_cli(*args, "--json")
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def without_elapsed(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "elapsed_seconds"}


def test_exports():
    for name in ("authenticate", "diagnose", "audit", "Authenticator", "AuthReport", "InputError",
                 "MailwardenError", "__version__"):
        assert hasattr(mailwarden, name), name
    assert issubclass(mailwarden.InputError, mailwarden.MailwardenError)
    with pytest.raises(AttributeError):
        mailwarden.no_such_name  # noqa: B018


def test_spec_snippets_on_the_bundled_example():
    message = (EXAMPLE / "message.eml").read_bytes()
    dns = str(EXAMPLE / "dns.json")

    report = mailwarden.authenticate(message, ip=None, helo=None, mail_from=None, dns=dns,
                                     authserv_id="mx.test", now=NOW, dmarc_mode="rfc9989")
    assert (report.spf.result, report.dmarc.result, [s.result for s in report.dkim]) == ("pass", "fail", [])
    assert report.authentication_results.startswith("Authentication-Results: mx.test; spf=pass")
    assert report.to_json() == cli_json("check", str(EXAMPLE / "message.eml"), "--dns", dns,
                                        "--authserv-id", "mx.test", "--now", str(NOW))

    d = mailwarden.diagnose(message, me=["dana@fabrikam.example"], domains=(),
                            trusted_authserv_ids=("mx1.inbound.fabrikam.example",),
                            trusted_relays=(), allowlist=None, dns=dns, now=NOW)
    assert (d.verdict, d.confidence) == ("spoofed", "high")
    assert d.to_json() == cli_json("diagnose", str(EXAMPLE / "message.eml"), "--me", "dana@fabrikam.example",
                                   "--trusted-authserv-id", "mx1.inbound.fabrikam.example", "--dns", dns,
                                   "--now", str(NOW))

    a = mailwarden.audit("fabrikam.example", selectors=("s1",), dns=dns, probe_catch_all=False)
    assert a.grade in "ABCDF" and a.findings
    assert without_elapsed(a.to_json()) == without_elapsed(
        cli_json("audit", "fabrikam.example", "--selector", "s1", "--dns", dns))

    async def session():
        async with mailwarden.Authenticator(dns=json.loads(Path(dns).read_text()), nameserver=None) as auth:
            return await auth.authenticate(message, ip="203.0.113.91", helo="vps-2291.cheaphost.example",
                                           mail_from="kxq8f2@vps-2291.cheaphost.example", now=NOW)

    assert asyncio.run(session()).spf.result == "pass"


def test_message_as_text_path_and_bytes_agree():
    path = EXAMPLE / "message.eml"
    dns = json.loads((EXAMPLE / "dns.json").read_text())
    reports = [mailwarden.authenticate(m, dns=dns, authserv_id="mx.test", now=NOW).to_json()
               for m in (path, path.read_bytes(), path.read_text())]
    assert reports[0] == reports[1] == reports[2]


def _case_kwargs(args: list[str]) -> dict:
    """case.json CLI arguments as keyword arguments of mailwarden.diagnose()."""
    names = {"--me": "me", "--domain": "domains", "--trusted-authserv-id": "trusted_authserv_ids",
             "--trusted-relay": "trusted_relays"}
    kwargs: dict = {}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag == "--now":
            kwargs["now"] = float(value)
        else:
            kwargs.setdefault(names[flag], []).append(value)
    return kwargs


def _diagnose_cases(shared: Path) -> list[Path]:
    return sorted(p.parent for p in (shared / "examples" / "diagnose").glob("*/case.json"))


def test_shared_diagnose_examples_match_the_cli(shared):
    cases = _diagnose_cases(shared)
    assert len(cases) >= 9
    for folder in cases:
        args = json.loads((folder / "case.json").read_text())["args"]
        kwargs = _case_kwargs(args)
        message, dns = folder / "message.eml", str(folder / "dns.json")
        d = mailwarden.diagnose(message, dns=dns, **kwargs)
        assert d.to_json() == cli_json("diagnose", str(message), *args, "--dns", dns), folder.name
        report = mailwarden.authenticate(message.read_bytes(), dns=dns, authserv_id="mx.test", now=kwargs["now"])
        assert report.to_json() == cli_json("check", str(message), "--dns", dns, "--authserv-id", "mx.test",
                                            "--now", str(kwargs["now"])), folder.name


def test_shared_audit_examples_match_the_cli(shared):
    cases = sorted(p.parent for p in (shared / "examples" / "audit").glob("*/case.json"))
    assert len(cases) >= 8
    for folder in cases:
        case = json.loads((folder / "case.json").read_text())
        args = case["args"]
        selectors = tuple(v for f, v in zip(args[::2], args[1::2], strict=True) if f == "--selector")
        dns = folder / "dns.json"
        a = mailwarden.audit(case["domain"], selectors=selectors, dns=dns)
        assert without_elapsed(a.to_json()) == without_elapsed(
            cli_json("audit", case["domain"], *args, "--dns", str(dns))), folder.name


def test_bad_input_is_an_input_error():
    with pytest.raises(mailwarden.InputError):
        mailwarden.authenticate(b"", dns={})
    with pytest.raises(mailwarden.InputError):
        mailwarden.authenticate(Path("/nonexistent/message.eml"), dns={})
    with pytest.raises(mailwarden.InputError):
        mailwarden.audit("not a domain", dns={})
    with pytest.raises(mailwarden.InputError):
        mailwarden.diagnose(b"From: a@b.example\r\n\r\nx\r\n", dns={})
    with pytest.raises(mailwarden.MailwardenError):
        mailwarden.authenticate(b"From: a@b.example\r\n\r\nx\r\n", dns="/nonexistent/dns.json")


def test_sync_call_inside_an_event_loop_says_what_to_do():
    async def inside():
        return mailwarden.authenticate(b"From: a@b.example\r\n\r\nx\r\n", dns={})

    with pytest.raises(mailwarden.MailwardenError, match="Authenticator"):
        asyncio.run(inside())


def test_library_errors_name_no_command_line_flag():
    raw = b"From: a@b.example\r\n\r\nx\r\n"
    for call in (lambda: mailwarden.diagnose(raw, me=["nobody"], dns={}),
                 lambda: mailwarden.diagnose(raw, domains=["b.example"], trusted_relays=["a b"], dns={}),
                 lambda: mailwarden.diagnose(raw, dns={})):
        with pytest.raises(mailwarden.InputError) as caught:
            call()
        assert "--" not in str(caught.value), caught.value


def test_every_result_has_result_reason_and_to_json():
    report = mailwarden.authenticate(EXAMPLE / "message.eml", dns=EXAMPLE / "dns.json", now=NOW)
    for result in (report.spf, report.arc, report.dmarc):
        assert isinstance(result.result, str) and hasattr(result, "reason")
        assert isinstance(result.to_json(), dict)
    assert report.arc.result == report.arc.cv == "none"
    assert report.spf.reason == report.spf.problem
