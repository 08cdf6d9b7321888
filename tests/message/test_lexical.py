"""Comments and quoted strings (RFC 5322 sections 3.2.2 and 3.2.4)."""

from __future__ import annotations

from mailwarden.message.lexical import scan_comment, scan_quoted


def test_nested_comment_with_quoted_pair():
    text = r"x (a (b) \) c) y"
    end, content = scan_comment(text, 2)
    assert content == "a (b) ) c"
    assert text[end:] == " y"


def test_unterminated_comment_runs_to_the_end():
    assert scan_comment("(open (never closed", 0) == (19, "open (never closed")


def test_quoted_string_unescapes():
    text = r'"a \"b\" c" rest'
    end, content = scan_quoted(text, 0)
    assert content == 'a "b" c'
    assert text[end:] == " rest"


def test_unterminated_quoted_string():
    end, content = scan_quoted('"abc', 0)
    assert content == "abc" and end == 5


def test_linear_on_deep_nesting():
    import time

    text = "(" * 200_000 + ")" * 200_000
    start = time.monotonic()
    end, _ = scan_comment(text, 0)
    assert end == len(text) and time.monotonic() - start < 2
