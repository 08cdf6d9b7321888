"""Organizational domains from the Public Suffix List (RFC 7489 section 3.2),
checked against the list's official test vectors (corpora/psl)."""

from __future__ import annotations

import re

import pytest

from mailwarden.errors import InputError
from mailwarden.psl import SuffixList, default_list, load_list, psl_organizational_domain, public_suffix

_VECTOR = re.compile(r"checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);")


def _value(text: str) -> str | None:
    return None if text == "null" else text.strip("'")


def vectors_js(corpora):
    out = []
    for line in (corpora / "psl" / "tests_test_psl.txt").read_text(encoding="utf-8").splitlines():
        m = _VECTOR.fullmatch(line.strip())
        if m:
            out.append((_value(m.group(1)), _value(m.group(2))))
    return out


def vectors_txt(corpora):
    out = []
    for line in (corpora / "psl" / "tests_tests.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        given, expected = line.split()
        out.append((_value(given), _value(expected)))
    return out


@pytest.fixture(scope="module")
def corpus_list(corpora):
    return load_list(corpora / "psl" / "public_suffix_list.dat")


def test_official_vectors_test_psl(corpora, corpus_list):
    vectors = vectors_js(corpora)
    assert len(vectors) > 70
    wrong = [(d, want, corpus_list.organizational_domain(d)) for d, want in vectors
             if corpus_list.organizational_domain(d) != want]
    assert wrong == []


def test_official_vectors_tests_txt(corpora, corpus_list):
    vectors = vectors_txt(corpora)
    assert len(vectors) > 70
    wrong = [(d, want, corpus_list.organizational_domain(d)) for d, want in vectors
             if corpus_list.organizational_domain(d) != want]
    assert wrong == []


def test_vectors_exercise_wildcards_and_exceptions(corpora, corpus_list):
    """The vectors include the hard rules; a list without them gives other answers."""
    assert corpus_list.organizational_domain("a.b.c.mm") == "b.c.mm"  # *.mm
    assert corpus_list.organizational_domain("www.www.ck") == "www.ck"  # !www.ck
    assert corpus_list.organizational_domain("c.mm") is None
    tiny = SuffixList(b"com\n", name="inline")
    assert tiny.organizational_domain("a.b.c.mm") == "c.mm"  # implicit * rule only


def test_public_suffix_and_normalisation(corpus_list):
    assert corpus_list.public_suffix("www.example.co.uk") == "co.uk"
    assert corpus_list.organizational_domain("Mail.Example.CO.UK.") == "example.co.uk"
    assert corpus_list.organizational_domain("") is None
    assert corpus_list.organizational_domain("a..example.com") is None
    assert corpus_list.organizational_domain("x" * 5000 + ".com") is None


def test_default_list_is_cached_and_works():
    assert default_list() is default_list()
    assert psl_organizational_domain("deep.sub.example.com") == "example.com"
    assert public_suffix("foo.example.org") == "org"


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError):
        load_list(tmp_path / "nope.dat")
