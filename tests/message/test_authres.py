"""Authentication-Results parsing (RFC 8601 section 2.2).

The 22 cases of the authres 1.2.0 corpus (RFC 5451/7601/8601 appendix B
examples and more) are run as data: each check is a small expression on the
parsed object (``arobj.results[0].properties[1].value``) with the value the
authres library printed.  Library-specific attributes such as
``results[0].smtp_mailfrom`` are read as the property ``smtp.mailfrom``;
"no such attribute" and ``None`` both mean the property is absent.
"""

from __future__ import annotations

import ast
import json
import re
import time

import pytest

from mailwarden.message import parse_message
from mailwarden.message.authres import (
    AuthenticationResults,
    AuthResult,
    parse_authentication_results,
    quote_value,
    safe_comment,
)

CASES_FILE = "dmarc-authres-tests/authres-1.2.0/authres-parse-cases.derived.json"


def load_cases(corpora):
    return json.loads((corpora / CASES_FILE).read_text())["cases"]


_ABSENT_ATTR = re.compile(r"results\[(\d+)\]\.([a-z]+)_([a-z]+)\)")


def lookup(parsed: AuthenticationResults, expr: str) -> object:
    """Evaluate one authres doctest expression on our parsed object."""
    if expr.endswith(".authserv_id"):
        return parsed.authserv_id
    m = re.fullmatch(r"\w+\.results\[(\d+)\]", expr)
    if m:
        return str(parsed.results[int(m.group(1))])
    m = re.fullmatch(r"\w+\.results\[(\d+)\]\.properties\[(\d+)\]\.(type|name|value)", expr)
    if m:
        return getattr(parsed.results[int(m.group(1))].properties[int(m.group(2))], m.group(3))
    m = re.fullmatch(r"\w+\.results\[(\d+)\]\.(method|result|reason)", expr)
    if m:
        return getattr(parsed.results[int(m.group(1))], m.group(2))
    m = re.fullmatch(r"\w+\.results\[(\d+)\]\.([a-z]+)_([a-z]+)", expr)
    if m:
        return parsed.results[int(m.group(1))].get(f"{m.group(2)}.{m.group(3)}")
    raise AssertionError(f"unhandled expression {expr!r}")


def check_case(case: dict) -> None:
    parsed = parse_authentication_results(case["header"])
    for check in case["checks"]:
        expr, want = check["expr"], check["want"]
        if expr.startswith("try"):
            # "this kind of result has no such attribute": for a method-specific class
            # (SenderIDAuthenticationResult) the property is absent; the generic class
            # has no typed accessors at all, which says nothing about the properties
            m = _ABSENT_ATTR.search(expr)
            assert m, expr
            if "'AuthenticationResult' object" in want:
                continue
            got = parsed.results[int(m.group(1))].get(f"{m.group(2)}.{m.group(3)}")
            assert got is None, (expr, got)
        elif expr.startswith("for result in"):
            flat = [x for r in parsed.results for x in (r.method, r.result)]
            assert flat == [ast.literal_eval(line) for line in want.splitlines()]
        else:
            expected = ast.literal_eval(want)
            got = lookup(parsed, expr)
            assert str(got) == expected, (expr, got, expected)


def test_corpus_has_22_cases(corpora):
    assert len(load_cases(corpora)) == 22


@pytest.mark.parametrize("index", range(22))
def test_authres_corpus_case(corpora, index):
    case = load_cases(corpora)[index]
    check_case(case)
    if case.get("error_expected"):
        # authres rejects this Microsoft 365 style header; we parse what is usable and say what was not
        parsed = parse_authentication_results(case["header"])
        assert parsed.authserv_id == "thehesiod.com"
        assert [(r.method, r.result) for r in parsed.results] == [("dkim", "none"), ("dmarc", "none")]
        assert parsed.results[0].get("header.d") == "none"
        assert parsed.results[1].get("header.from") == "hotmail.com"
        assert any("thehesiod.com" in d for d in parsed.defects)


def test_checks_are_not_vacuous(corpora):
    """A wrong parse fails the case-runner (so the parametrized tests can fail)."""
    case = load_cases(corpora)[0]
    broken = dict(case, header=case["header"].replace("spf=pass", "spf=fail"))
    with pytest.raises(AssertionError):
        check_case(broken)


def test_version_and_none():
    parsed = parse_authentication_results("example.org 1; none")
    assert parsed.authserv_id == "example.org"
    assert parsed.version == 1
    assert parsed.results == ()
    assert parsed.defects == ()


def test_comment_with_semicolon_and_parentheses_gmail_style():
    value = (
        "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab/Cd+Ef;\r\n"
        "       spf=pass (google.com: domain of x@example.com designates 1.2.3.4 as permitted sender; "
        "(nested) ok) smtp.mailfrom=x@example.com;\r\n"
        "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"
    )
    parsed = parse_authentication_results(value)
    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert parsed.results[0].get("header.b") == "Ab/Cd+Ef"
    assert parsed.results[0].get("header.s") == "20230601"
    assert parsed.results[1].get("smtp.mailfrom") == "x@example.com"
    assert "(nested) ok" in parsed.results[1].comment
    assert parsed.results[2].comment == "p=REJECT sp=REJECT dis=NONE"


def test_microsoft_365_without_authserv_id():
    value = (
        "spf=pass (sender IP is 40.107.1.2) smtp.mailfrom=example.com; dkim=pass (signature was verified) "
        "header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100"
    )
    parsed = parse_authentication_results(value)
    assert parsed.authserv_id == ""
    assert [r.method for r in parsed.results] == ["spf", "dkim", "dmarc", "compauth"]
    assert parsed.results[3].reason == "100"
    assert parsed.results[2].get("header.from") == "example.com"


def test_quoted_strings_keep_semicolons_and_parentheses():
    parsed = parse_authentication_results('a.example; x=pass reason="a; (b) \\"c\\"" header.x="v;w"; spf=none')
    assert parsed.results[0].reason == 'a; (b) "c"'
    assert parsed.results[0].get("header.x") == "v;w"
    assert parsed.results[1].method == "spf"


def test_field_name_prefix_and_method_version():
    parsed = parse_authentication_results("Authentication-Results: ex.test; dkim/1=pass header.d=ex.test")
    assert parsed.results[0].method == "dkim"
    assert parsed.results[0].method_version == "1"


def test_message_model_view():
    msg = parse_message(
        b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=a@b.example\r\n"
        b"Authentication-Results: other.example; dkim=fail header.d=b.example\r\n"
        b"From: a@b.example\r\n\r\nbody\r\n"
    )
    ids = [ar.authserv_id for ar in msg.authentication_results]
    assert ids == ["mx.example.net", "other.example"]
    assert isinstance(msg.authentication_results[0].results[0], AuthResult)


@pytest.mark.parametrize(
    "hostile",
    [
        "(" * 200_000,
        '"' * 200_000,
        "a; " + "x=pass " * 50_000,
        "a; " + ";" * 200_000,
        "a; " + "dkim=pass header.d=x; " * 20_000,
        "a; x=pass " + "(" * 10_000 + ")" * 10_000,
    ],
)
def test_hostile_input_is_bounded(hostile):
    start = time.perf_counter()
    parsed = parse_authentication_results(hostile)
    assert time.perf_counter() - start < 2.0
    assert len(parsed.results) <= 500


def test_quote_value_never_lets_controls_through():
    assert quote_value("example.com") == "example.com"
    assert quote_value("user@example.com") == "user@example.com"
    assert quote_value("@example.com") == "@example.com"
    assert quote_value("a b") == '"a b"'
    assert quote_value('x"; dmarc=pass') == '"x\\"; dmarc=pass"'
    assert "\r" not in quote_value("a\r\nb") and "\n" not in quote_value("a\r\nb")
    assert quote_value("") == '""'
    assert safe_comment("a) dmarc=pass (") == "(a\\) dmarc=pass \\()"


def test_quoted_output_round_trips():
    hostile = 'x"; dmarc=pass (y) \\ z'
    header = f"ex.test; spf=pass smtp.mailfrom={quote_value(hostile)}"
    parsed = parse_authentication_results(header)
    assert len(parsed.results) == 1
    assert parsed.results[0].get("smtp.mailfrom") == hostile
