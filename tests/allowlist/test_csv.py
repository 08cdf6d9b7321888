"""CSV exports: delimiter and header detection, the address column, the action column, multi-line cells."""

from __future__ import annotations

from mailwarden.allowlist import parse_allowlist

from .helpers import ids, lines_with_findings

EXPORT = """\
Sender;List Type;Added By;Note
alice@example.com;Safe;alice@example.com;me
@example.com;safe;admin@example.com;"internal,
mail"
*@gmail.com;SAFE;alice@example.com;customers
partner@supplier.example;Safe;alice@example.com;
spam@example.com;Blocked;alice@example.com;
bad row without address;;;
*.example.com;maybe;alice@example.com;
;Safe;alice@example.com;empty
"""


def test_columns_and_lines():
    parsed = parse_allowlist(EXPORT, "auto")
    assert parsed.format == "csv"
    got = [(e.line, e.entry, e.action) for e in parsed.entries]
    assert got == [
        (2, "alice@example.com", "allow"),
        (3, "@example.com", "allow"),
        (5, "*@gmail.com", "allow"),
        (6, "partner@supplier.example", "allow"),
        (7, "spam@example.com", "block"),
    ]
    problems = {p.line: p.reason for p in parsed.problems}
    assert set(problems) == {8, 9, 10}
    assert "unknown action" in problems[9]
    assert "no value" in problems[10]


def test_findings_only_from_the_address_column():
    got = ids(EXPORT, "csv")
    assert got == {(2, "self-address"), (3, "self-domain"), (5, "broad-domain")}
    assert not lines_with_findings(EXPORT, "csv") & {1, 4, 6, 7}


def test_headerless_tab_separated_export():
    text = "2023-01-01\talice@example.com\tallow\n2023-01-02\tfriend@other.example\tallow\n2023-01-03\t*@ExAmPle.com\tallow\n"
    parsed = parse_allowlist(text, "csv")
    assert [(e.line, e.entry) for e in parsed.entries] == [
        (1, "alice@example.com"),
        (2, "friend@other.example"),
        (3, "*@ExAmPle.com"),
    ]
    assert ids(text, "csv") == {(1, "self-address"), (3, "self-domain")}


def test_idn_cells_and_comment_rows():
    text = (
        "email,action\n# exported by the portal\nfrau@bücher.example,allow\n*@xn--bcher-kva.example,allow\n"
    )
    assert ids(text, "csv", me=("frau@xn--bcher-kva.example",), domains=()) == {
        (3, "self-address"),
        (4, "self-domain"),
    }
