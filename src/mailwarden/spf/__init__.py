"""SPF (RFC 7208): the project's own engine, on the async DNS layer.

Public API (names other packages rely on):

* :func:`parse_record` ``(text) -> SPFRecord``: pure parsing of one record
  (sections 4.6.1, 5, 6, 7, 12); syntax problems are in ``SPFRecord.error``,
  naming the offending term.  Cached by text.
* ``await`` :func:`check_host` ``(resolver, ip, domain, sender, helo, *,
  receiver=None, cache=None, now=None) -> SPFResult``: section 4 evaluation.
* ``await`` :func:`evaluate_spf` ``(resolver, ip, mail_from, helo,
  receiver=None, cache=None, now=None) -> SPFResult``: applies section 2.4
  (empty MAIL FROM -> ``postmaster@HELO``; no local part -> ``postmaster@``).
* :class:`SPFResult`: ``result`` (pass, fail, softfail, neutral, none,
  permerror, temperror), ``domain``, ``explanation``, ``lookups`` (DNS-querying
  terms evaluated, nested includes/redirects included), ``void_lookups``,
  ``mechanism`` (matching term as written, or None), and the evidence:
  ``problem`` (names the offending term or name), ``matched_domain``,
  ``chain`` (includes/redirects followed, with their results), ``trace``
  (every term evaluated with its outcome and nesting depth), ``record``.
  ``to_json()`` gives the SPEC section 5 object plus the evidence.
* ``cache=``: a :class:`mailwarden.cache.Cache` (the session's) keeps parsed
  policies and address sets by name for their DNS TTL (:mod:`mailwarden.spf.lookups`);
  pass the same instance to every check.
* ``await`` :func:`analyze_policy` ``(resolver, domain) -> PolicyAnalysis``:
  the static, IP-less walk for the domain audit.  It follows every include and
  redirect (a redirect only where the record has no ``all``), and reports
  ``lookups`` (DNS-querying terms counted exactly as the engine counts them
  when every term is evaluated), ``void_lookups`` (a/mx/exists targets that
  do not exist or have no records, as the engine counts them; include/redirect
  targets without a record are reported in ``errors``), ``loops`` (include/redirect
  cycles), ``uses_ptr``, ``macro_terms`` (not followed: they depend on the
  message), ``all_qualifier`` (of the effective top-level ``all``, following
  redirects), ``networks`` (every ip4/ip6 range with its size in addresses;
  ``authorized_addresses`` sums IPv4), ``records`` (each record reached, with
  its status: ok, none, multiple, syntax, temperror) and ``errors``.

Limits (section 4.6.4) and the bounds against hostile policies are described
in :mod:`mailwarden.spf.evaluate`.  Choices where the RFC leaves room: void
lookups are the own query of ``a``, ``mx``, ``ptr`` and ``exists`` terms (not
the MX hosts' address queries); an invalid target name (empty or over-long
label) does not match; ``%{i}`` of IPv6 uses upper-case nibbles (as the
OpenSPF suite expects); a macro expanding to more than 1000 characters is a
permerror (hostile policy); include/redirect loops are permerror at once.
"""

from __future__ import annotations

from mailwarden.spf.analyze import analyze_policy
from mailwarden.spf.evaluate import check_host, evaluate_spf
from mailwarden.spf.lookups import PolicyLookup
from mailwarden.spf.record import Mechanism, Modifier, SPFRecord, parse_record, select_record
from mailwarden.spf.results import (
    MEANINGS,
    RESULTS,
    ChainStep,
    Network,
    PolicyAnalysis,
    PolicyRecord,
    SPFResult,
    TermTrace,
)

__all__ = [
    "MEANINGS",
    "RESULTS",
    "ChainStep",
    "Mechanism",
    "Modifier",
    "Network",
    "PolicyAnalysis",
    "PolicyLookup",
    "PolicyRecord",
    "SPFRecord",
    "SPFResult",
    "TermTrace",
    "analyze_policy",
    "check_host",
    "evaluate_spf",
    "parse_record",
    "select_record",
]
