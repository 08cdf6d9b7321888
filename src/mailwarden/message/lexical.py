"""Lexical pieces of RFC 5322 header text shared by the header parsers:
comments (section 3.2.2, nested, with quoted-pairs) and quoted strings
(section 3.2.4).  Each scanner is linear and stops at the end of the text
when a construct is not terminated."""

from __future__ import annotations


def scan_comment(text: str, start: int) -> tuple[int, str]:
    """``text[start]`` is ``(``: return (index after the closing ``)``, comment content).

    Nested comments stay in the content with their parentheses; quoted-pairs
    are unescaped.
    """
    depth, j, n, buf = 1, start + 1, len(text), []
    while j < n and depth:
        c = text[j]
        if c == "\\" and j + 1 < n:
            buf.append(text[j + 1])
            j += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if depth:
            buf.append(c)
        j += 1
    return j, "".join(buf)


def scan_quoted(text: str, start: int) -> tuple[int, str]:
    """``text[start]`` is ``"``: return (index after the closing quote, unescaped content)."""
    j, n, buf = start + 1, len(text), []
    while j < n and text[j] != '"':
        if text[j] == "\\" and j + 1 < n:
            j += 1
        buf.append(text[j])
        j += 1
    return j + 1, "".join(buf)
