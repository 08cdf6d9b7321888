"""Property tests: the fast paths agree with the general ones (RFC 7208 sections 4.6.2, 5.6, 12)."""

from __future__ import annotations

import ipaddress

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwarden.spf import parse_record
from mailwarden.spf.evaluate import valid_domain
from mailwarden.spf.record import IPRun, _parse_mechanism

qualifiers = st.sampled_from(["", "+", "-", "~", "?"])
ip4 = st.builds(lambda n: str(ipaddress.IPv4Address(n)), st.integers(0, 2**32 - 1))
ip6 = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(0, 2**128 - 1))
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
domains = st.lists(labels, min_size=1, max_size=3).map(lambda ls: ".".join([*ls, "example"]))
# Shapes at the edges of the fast domain pattern: underscores, upper case, numeric and hyphenated
# top labels, 63/64-character labels, names over 253 characters, a final dot, odd characters.
odd_labels = st.sampled_from(["_spf", "a-b", "-a", "a-", "123", "1-2", "x1", "EXAMPLE", "a" * 63, "b" * 64, "",
                              "a!b", "a[b", "c" * 60])
odd_domains = st.tuples(st.lists(st.one_of(labels, odd_labels), min_size=1, max_size=6), st.booleans()).map(
    lambda parts: ".".join(parts[0]) + ("." if parts[1] else ""))


@st.composite
def terms(draw) -> str:
    q = draw(qualifiers)
    kind = draw(st.sampled_from(["ip4", "ip6", "a", "mx", "include", "exists", "all", "odd"]))
    if kind == "ip4":
        cidr = draw(st.one_of(st.just(""), st.integers(0, 40).map(lambda c: f"/{c}"), st.just("/032")))
        return f"{q}ip4:{draw(ip4)}{cidr}"
    if kind == "ip6":
        cidr = draw(st.one_of(st.just(""), st.integers(0, 140).map(lambda c: f"/{c}")))
        return f"{q}ip6:{draw(ip6)}{cidr}"
    if kind in ("a", "mx"):
        dom = draw(st.one_of(st.just(""), domains.map(lambda d: ":" + d), odd_domains.map(lambda d: ":" + d)))
        c4 = draw(st.one_of(st.just(""), st.integers(0, 40).map(lambda c: f"/{c}")))
        c6 = draw(st.one_of(st.just(""), st.integers(0, 140).map(lambda c: f"//{c}")))
        return f"{q}{kind}{dom}{c4}{c6}"
    if kind in ("include", "exists"):
        return f"{q}{kind}:{draw(st.one_of(domains, odd_domains))}"
    if kind == "all":
        return f"{q}all"
    return q + draw(st.sampled_from(["ip4:1.2.3", "ip4:01.2.3.4", "a:museum", "mx:abc.123", "ip6::1::2", "all."]))


@settings(max_examples=1500, deadline=None)
@given(terms())
def test_fast_path_agrees_with_general_parser(term):
    rec = parse_record("v=spf1 " + term)
    try:
        general = _parse_mechanism(term)
    except ValueError:
        assert not rec.ok and repr(term) in rec.error
        return
    assert rec.ok, rec.error
    if general.version:  # ip4/ip6: the inline path keeps the compact form IPRun matches with
        (run,) = rec.plan
        assert run.entries == ((general.version, general.shift, general.masked, general.qualifier, term),)
    fast = rec.mechanisms[0]
    assert fast._replace(domain=None) == general._replace(domain=None)
    assert (fast.domain is None) == (general.domain is None)
    if fast.domain is not None:
        assert (fast.domain.text, fast.domain.literal, fast.domain.name) == (
            general.domain.text, general.domain.literal, general.domain.name)


def _ip_term_by_ipaddress(term: str) -> tuple[int, int, int, str, str] | None:
    """The section 5.6 / 12 reading of an ip4/ip6 term with :mod:`ipaddress`, as an ``IPRun`` entry
    (version, shift, network >> shift, qualifier, term); None when the ABNF rejects it."""
    q = term[0] if term[0] in "+-~?" else ""
    name, colon, rest = term[len(q):].partition(":")
    if not colon or name.lower() not in ("ip4", "ip6"):
        return None
    version, bits = (4, 32) if name.lower() == "ip4" else (6, 128)
    net, slash, length = rest.partition("/")
    if slash and (not length.isdigit() or not length.isascii() or (length[0] == "0" and length != "0")
                  or int(length) > bits):
        return None
    prefix = int(length) if slash else bits
    if "%" in net:  # ipaddress accepts an IPv6 scope id; the ABNF has none
        return None
    try:
        value = int(ipaddress.IPv4Address(net) if version == 4 else ipaddress.IPv6Address(net))
    except ValueError:
        return None
    return (version, bits - prefix, value >> (bits - prefix), q or "+", term)


ip_texts = st.one_of(
    ip4, ip6,
    ip6.map(lambda t: ipaddress.IPv6Address(t).exploded),
    st.integers(0, 2**32 - 1).map(lambda n: "::ffff:" + str(ipaddress.IPv4Address(n))),
    st.integers(0, 2**32 - 1).map(lambda n: "64:ff9b::" + str(ipaddress.IPv4Address(n))),
    ip4.map(lambda t: "0" + t), ip4.map(lambda t: t.replace(".", ".0", 1)), ip4.map(lambda t: t + ".1"),
    ip4.map(lambda t: t.rsplit(".", 1)[0]), ip4.map(lambda t: t.replace(".", "..", 1)),
    ip6.map(lambda t: t + "::1"), ip6.map(lambda t: t.upper()), ip6.map(lambda t: t + "%eth0"),
    st.sampled_from(["", "::", "::1", "1.2.3.4", "256.1.1.1", "1.2.3.-4", "1.2.3.4\x00",
                     "1:2:3:4:5:6:7:8:9", "fe80::1%1", "::1.2.3.04", "12345::", "0x1.2.3.4", "1e1.1.1.1"]),
    st.text(alphabet="0123456789abcdefABCDEF.:%x", max_size=45),
)
ip_lengths = st.one_of(st.just(""), st.integers(0, 140).map(lambda c: f"/{c}"),
                       st.sampled_from(["/", "/032", "/00", "/-1", "/+8", "/1a", "//64", "/24/", "/\u0663"]))


@settings(max_examples=3000, deadline=None)
@given(qualifiers, st.sampled_from(["ip4", "ip6", "IP4", "Ip6"]), ip_texts, ip_lengths)
@example("", "ip4", "1.2.3.4", "/33")
@example("", "ip4", "01.2.3.4", "")
@example("", "ip6", "::1", "/129")
@example("-", "ip6", "::ffff:1.2.3.4", "/128")
@example("~", "ip4", "192.0.2.7", "/0")
def test_inline_ip_parse_agrees_with_ipaddress(q, kind, address, length):
    """The inline ip4/ip6 path (inet_pton and table lookups) reads every term, well-formed or not
    ("ip4:1.2.3.4/33", "ip4:01.2.3.4", "ip6:::1/129", ...), as ipaddress and the ABNF do."""
    term = f"{q}{kind}:{address}{length}"
    rec = parse_record("v=spf1 " + term + " -all")
    expected = _ip_term_by_ipaddress(term)
    if expected is None:
        assert not rec.ok and repr(term) in rec.error, (term, rec)
        return
    assert rec.ok, (term, rec.error)
    run, _all = rec.plan
    assert run.entries == (expected,)
    (mech,) = run.mechanisms
    assert (mech.version, mech.shift, mech.masked, mech.qualifier, mech.text) == expected


networks = st.one_of(
    st.tuples(st.just(4), st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.tuples(st.just(6), st.integers(0, 2**128 - 1), st.integers(0, 128)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(networks, min_size=1, max_size=12), st.one_of(ip4, ip6), st.integers(0, 2**32 - 1))
def test_ip_run_scan_and_table_agree_with_term_by_term(nets, address, near):
    texts = []
    for version, value, prefix in nets:
        text = str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))
        texts.append(f"ip{version}:{text}/{prefix}")
    rec = parse_record("v=spf1 " + " ".join(texts))
    assert rec.ok, rec.error
    (run,) = rec.plan
    assert isinstance(run, IPRun)
    addr = ipaddress.ip_address(address)
    candidates = [(addr.version, int(addr))]
    first = rec.mechanisms[0]  # also an address inside the first network
    candidates.append((first.version, first.network | (near & ((1 << (first.shift)) - 1))))
    for version, value in candidates:
        expected = next((i for i, m in enumerate(rec.mechanisms) if m.covers(version, value)), -1)
        fresh = IPRun(run.entries)  # the parsed compact form
        assert [fresh.first_match(version, value) for _ in range(3)] == [expected] * 3  # scan, then tables


@settings(max_examples=1500, deadline=None)
@given(st.one_of(domains, odd_domains), st.sampled_from(["include", "exists", "a", "mx"]))
def test_names_the_fast_path_marks_valid_are_valid_domains(domain, kind):
    # The evaluator skips the section 4.3 check for them (evaluate.py check(valid_name=True)).
    rec = parse_record(f"v=spf1 {kind}:{domain}")
    if not rec.ok:
        return
    spec = rec.mechanisms[0].domain
    if spec.valid_name:
        assert spec.literal == domain and valid_domain(spec.name) and _valid_domain_by_labels(spec.name)
    else:
        general = _parse_mechanism(f"{kind}:{domain}").domain
        assert not general.valid_name  # only the fast path vouches for a name


def _valid_domain_by_labels(name: str) -> bool:
    """Section 4.3 spelled out label by label (the definition the engine's one pattern replaces)."""
    if not name or len(name) > 253 or name[0] == "[" or " " in name or not name.isascii():
        return False
    labels = name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    if any(not label or len(label) > 63 for label in labels):
        return False
    return not any(ch in name for ch in "\t\r\n\\")


name_pieces = st.sampled_from([*"ab09.-_[] \t\r\n\\\x00\x7f\xe9", "\U0001f600", "a" * 63, "a" * 64, "1" * 70,
                               "x" * 60 + "."])


@settings(max_examples=2000, deadline=None)
@given(st.lists(name_pieces, max_size=12).map("".join))
def test_valid_domain_pattern_agrees_with_label_rules(name):
    assert valid_domain(name) == _valid_domain_by_labels(name)
