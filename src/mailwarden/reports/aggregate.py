"""DMARC aggregate reports (RFC 7489 appendix C, RFC 9990 section 3), parsed as a stream.

The XML is read with lxml's pull parser (libxml2), chunk by chunk:

* ``recover=True`` repairs what real reporters send (``<email><x@y></email>``,
  bytes that are not UTF-8, a stray ``<``); every repair becomes a warning.
* Hostile XML is refused: any ``<!DOCTYPE``/``<!ENTITY``/other ``<!`` markup
  declaration (so no DTD, no entity definitions, no external reference is
  ever seen by the parser), and lxml is told not to resolve entities, load a
  DTD or touch the network besides.  libxml2's own limits (depth 256, 10 MB
  text nodes) turn into errors, and no element below the root may span more
  than :attr:`Limits.max_element_bytes` of input.
* Each ``record`` becomes an :class:`AggregateRecord` as soon as it ends and is
  removed from the tree, so memory stays flat however many records there are.

Values are normalized as SPEC section 12 says: enumerations lower-cased
(``Pass`` -> ``pass``), domains lower-cased without a trailing dot, times as
Unix seconds (2012-era ``1335571200.0`` floats accepted), ``count`` and
``pct`` as integers.
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from mailwarden.errors import ReportParseError
from mailwarden.reports.limits import DEFAULT_LIMITS, Limits
from mailwarden.reports.model import (
    AggregateRecord,
    AggregateReport,
    DateRange,
    DKIMAuthResult,
    Identifiers,
    PolicyEvaluated,
    PolicyOverrideReason,
    PolicyPublished,
    RecordStream,
    ReportMetadata,
    SPFAuthResult,
)

#: Markup declarations other than comments and CDATA sections (DOCTYPE, ENTITY, ELEMENT ...).
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")
_TAGS = ("{*}feedback", "{*}report_metadata", "{*}policy_published", "{*}record", "{*}version")
_MAX_COUNT = 2**53
_MAX_TIME = 2**40
_MAX_WARNINGS = 50
_TOP_NAMES: dict[Any, str] = {}


def parse_aggregate(chunks: Iterable[bytes], *, source: str, limits: Limits = DEFAULT_LIMITS) -> AggregateReport:
    """Parse an aggregate report from a stream of XML bytes.

    Reads until the report's metadata and published policy are known (the
    start of the file for every real reporter) and returns the report; its
    records are read from the rest of the stream as they are iterated.
    Raises :class:`ReportParseError` when the input is not an aggregate report,
    is refused as hostile, or is broken beyond repair.
    """
    reader = _Reader(chunks, limits)
    events = reader.events()
    metadata: ReportMetadata | None = None
    policy: PolicyPublished | None = None
    version: str | None = None
    early: list[AggregateRecord] = []
    exhausted = True
    for kind, value in events:
        if kind == "record":
            early.append(value)
            if metadata is not None and policy is not None:
                exhausted = False
                break
            if len(early) > limits.max_records_before_header:
                raise ReportParseError("no report_metadata/policy_published before the records: not a usable report")
        elif kind == "metadata":
            if metadata is None:
                metadata = value
            else:
                reader.warn("a second report_metadata was ignored")
        elif kind == "policy":
            if policy is None:
                policy = value
            else:
                reader.warn("a second policy_published was ignored")
        elif kind == "version":
            version = value
    if metadata is None:
        events.close()
        raise ReportParseError(f"not a DMARC aggregate report: {reader.missing('report_metadata')}")
    if policy is None:
        reader.warn("the report has no policy_published")
        policy = PolicyPublished(domain=None, p=None)

    def records() -> Iterator[AggregateRecord]:
        yield from early
        early.clear()
        if exhausted:
            return
        for kind, value in events:
            if kind == "record":
                yield value
            elif kind in ("metadata", "policy"):
                reader.warn(f"a {'report_metadata' if kind == 'metadata' else 'policy_published'} "
                            "after the records was ignored")

    return AggregateReport(source=source, report_metadata=metadata, policy_published=policy,
                           records=RecordStream(records()), warnings=reader.warnings, version=version)


class _Reader:
    """Feeds chunks to libxml2 and turns finished top-level elements into model values."""

    def __init__(self, chunks: Iterable[bytes], limits: Limits) -> None:
        self.chunks = chunks
        self.limits = limits
        self.warnings: list[str] = []
        self.suppressed = 0
        self.fed = 0
        self.records = 0
        self.children = 0
        #: Shared record parts: auth results, policy outcomes, identifiers (see _record).
        self.shared: tuple[dict[tuple[Any, ...], Any], ...] = ({}, {}, {})
        self.addresses: dict[str, str] = {}
        self.root: Any = None
        self.docroot: Any = None
        self.errors_seen = 0
        self.parser = etree.XMLPullParser(
            events=("start", "end"), tag=_TAGS, recover=True, resolve_entities=False, no_network=True,
            load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True,
            remove_blank_text=True,
            collect_ids=False)

    def warn(self, text: str) -> None:
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(text)
            return
        self.suppressed += 1
        note = f"{self.suppressed} more warnings not shown"
        if self.warnings[-1].endswith("more warnings not shown"):
            self.warnings[-1] = note
        else:
            self.warnings.append(note)

    def missing(self, what: str) -> str:
        if self.fed == 0:
            return "the file is empty"
        if self.root is None:
            return "no <feedback> element found"
        return f"<feedback> has no {what}"

    def events(self) -> Iterator[tuple[str, Any]]:
        carry = b""
        last_child: Any = None
        last_child_since = 0
        parser = self.parser
        limit = self.limits.max_element_bytes
        for chunk in self.chunks:
            if not chunk:
                continue
            if _DECLARATION.search(carry + chunk):
                raise ReportParseError("XML with a DOCTYPE or entity/markup declaration: refused "
                                       "(reports never need one; it is how entity-expansion and "
                                       "external-entity attacks work)")
            carry = chunk[-16:]
            self.fed += len(chunk)
            parser.feed(chunk)
            self._check_log()
            yield from self._drain(parser)
            root = self.root
            if root is None:
                if self.fed > limit:
                    raise ReportParseError(f"not a DMARC aggregate report: no <feedback> element in the first "
                                           f"{limit // 1024} KiB")
                continue
            for parent in (self.docroot, root) if self.docroot is not root else (root,):
                children = len(parent)
                if children > 1:
                    self.children += children - 1
                    del parent[:-1]
            if self.children - self.records > self.limits.max_unknown_elements:
                raise ReportParseError(f"more than {self.limits.max_unknown_elements} unknown elements "
                                       "in the report: refused")
            if len(root):
                child = root[-1]
                if child is not last_child:
                    last_child, last_child_since = child, self.fed
                elif self.fed - last_child_since > limit:
                    raise ReportParseError(f"an XML element larger than {limit // 1024} KiB: refused")
        try:
            parser.close()
        except etree.XMLSyntaxError as exc:
            if self.fed:
                raise ReportParseError(f"XML cannot be read: {exc}") from None
            return
        self._check_log()
        yield from self._drain(parser)

    def _drain(self, parser: Any) -> Iterator[Any]:
        """The records whose elements the parser has finished since the last call; the root is noted on its start."""
        for event, element in parser.read_events():
            if event == "end":
                item = self._finished(element)
                if item is not None:
                    yield item
            elif self.root is None:
                self._set_root(element)

    def _set_root(self, element: Any) -> None:
        """The report element: the first ``feedback`` (some reporters wrap it, e.g. in ``xs:schema``)."""
        if _local(element.tag) != "feedback":
            name = _local(element.getroottree().getroot().tag)
            raise ReportParseError(f"not a DMARC aggregate report: no <feedback> element (root is <{name}>)")
        self.root = element
        self.docroot = element.getroottree().getroot()
        if self.docroot is not element:
            self.warn(f"the report is wrapped in <{_local(self.docroot.tag)}>")

    def _finished(self, element: Any) -> tuple[str, Any] | None:
        """The model value of a finished top-level element, or ``None``."""
        if self.root is None:
            self._set_root(element)
        tag = element.tag
        name = _TOP_NAMES.get(tag)
        if name is None:
            name = _local(tag)
            if len(_TOP_NAMES) < 100:
                _TOP_NAMES[tag] = name
        if name == "record":
            self.records += 1
            record = _record(element, self)
            element.clear()
            return None if record is None else ("record", record)
        if name == "report_metadata":
            return "metadata", _metadata(element, self)
        if name == "policy_published":
            return "policy", _policy(element, self)
        if name == "version" and element.getparent() is self.root:
            return "version", self.text(element, "version")
        return None

    def _check_log(self) -> None:
        log = self.parser.feed_error_log
        count = len(log)
        if count <= self.errors_seen:
            return
        for entry in list(log)[self.errors_seen:]:
            if entry.type_name in ("ERR_RESOURCE_LIMIT",) or "XML_PARSE_HUGE" in entry.message:
                raise ReportParseError(f"XML refused: {entry.message.strip()} (line {entry.line})")
            if entry.type_name == "ERR_DOCUMENT_EMPTY":
                continue
            self.warn(f"invalid XML repaired at line {entry.line}: {entry.message.strip()}")
        self.errors_seen = count
        if count > self.limits.max_xml_errors:
            raise ReportParseError(f"XML too broken to read: more than {self.limits.max_xml_errors} errors")

    def cut(self, text: str, number: int, tag: Any) -> str:
        """``text`` cut to the field cap, with a warning."""
        cap = self.limits.max_field_chars
        self.warn(f"record {number}: <{_local(tag)}> longer than {cap} characters was cut")
        return text[:cap]

    def text(self, element: Any, what: str) -> str | None:
        """The stripped text of ``element`` (``None`` if empty), cut to the field cap."""
        value = element.text
        if value is None:
            return None
        value = value.strip()
        if not value:
            return None
        if len(value) > self.limits.max_field_chars:
            self.warn(f"{what} longer than {self.limits.max_field_chars} characters was cut")
            value = value[: self.limits.max_field_chars]
        return value


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    if tag[:1] == "{":
        return tag[tag.rfind("}") + 1:]
    return tag


def _children(element: Any) -> Iterator[tuple[str, Any]]:
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            yield (tag[tag.rfind("}") + 1:] if tag[:1] == "{" else tag), child


def _word(reader: _Reader, element: Any, what: str) -> str | None:
    value = reader.text(element, what)
    return value.lower() if value is not None else None


def _domain(reader: _Reader, element: Any, what: str) -> str | None:
    value = reader.text(element, what)
    if value is None:
        return None
    return value.rstrip(".").lower() or None


def _time(reader: _Reader, element: Any, what: str) -> int | None:
    value = reader.text(element, what)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        reader.warn(f"{what} {value[:40]!r} is not a time")
        return None
    if not math.isfinite(number) or not 0 <= number < _MAX_TIME:
        reader.warn(f"{what} {value[:40]!r} is out of range")
        return None
    return int(number)


def _metadata(element: Any, reader: _Reader) -> ReportMetadata:
    fields: dict[str, Any] = {}
    errors: list[str] = []
    begin = end = None
    for name, child in _children(element):
        if name == "date_range":
            for sub, node in _children(child):
                if sub == "begin":
                    begin = _time(reader, node, "date_range begin")
                elif sub == "end":
                    end = _time(reader, node, "date_range end")
        elif name == "error":
            text = reader.text(child, "error")
            if text is not None and len(errors) < 100:
                errors.append(text)
        elif name in ("org_name", "email", "extra_contact_info", "report_id", "generator"):
            fields.setdefault(name, reader.text(child, name))
    if begin is not None and end is not None and end < begin:
        reader.warn("date_range ends before it begins")
    if not fields.get("report_id"):
        reader.warn("report_metadata has no report_id")
    return ReportMetadata(org_name=fields.get("org_name"), email=fields.get("email"),
                          extra_contact_info=fields.get("extra_contact_info"), report_id=fields.get("report_id"),
                          date_range=DateRange(begin, end), errors=tuple(errors), generator=fields.get("generator"))


_POLICY_WORDS = ("p", "sp", "np", "adkim", "aspf", "fo", "testing", "discovery_method")


def _policy(element: Any, reader: _Reader) -> PolicyPublished:
    fields: dict[str, Any] = {}
    for name, child in _children(element):
        if name == "domain":
            fields.setdefault("domain", _domain(reader, child, "policy_published domain"))
        elif name in _POLICY_WORDS:
            fields.setdefault(name, _word(reader, child, name))
        elif name == "pct":
            text = reader.text(child, "pct")
            if text is not None:
                try:
                    pct = int(float(text))
                except ValueError:
                    reader.warn(f"pct {text[:20]!r} is not a number")
                else:
                    if 0 <= pct <= 100:
                        fields["pct"] = pct
                    else:
                        reader.warn(f"pct {text[:20]!r} is out of range")
    return PolicyPublished(domain=fields.pop("domain", None), p=fields.pop("p", None), **fields)


# What each element of a record means to the reader (by local name).
_IGNORE, _ROW, _POLICY, _IDS, _AUTH, _REASON = 0, 1, 2, 3, 4, 5
_SOURCE_IP, _COUNT, _DISPOSITION, _DKIM, _SPF, _HEADER_FROM, _ENVELOPE_FROM, _ENVELOPE_TO = range(6, 14)
_DOMAIN, _SELECTOR, _SCOPE, _RESULT, _HUMAN, _TYPE, _COMMENT = range(14, 21)
_CODES = {
    "row": _ROW, "policy_evaluated": _POLICY, "identifiers": _IDS, "auth_results": _AUTH, "reason": _REASON,
    "source_ip": _SOURCE_IP, "count": _COUNT, "disposition": _DISPOSITION, "dkim": _DKIM, "spf": _SPF,
    "header_from": _HEADER_FROM, "envelope_from": _ENVELOPE_FROM, "envelope_to": _ENVELOPE_TO,
    "domain": _DOMAIN, "selector": _SELECTOR, "scope": _SCOPE, "result": _RESULT, "human_result": _HUMAN,
    "type": _TYPE, "comment": _COMMENT,
}
#: Code of every tag seen (``{urn:...}record`` and ``record`` alike); tags repeat, so this stays small.
_TAG_CODES: dict[Any, int] = {}
#: Where an auth_results field goes in a ``[kind, domain, selector, scope, result, human_result]`` entry.
_AUTH_SLOT = {_DOMAIN: 1, _SELECTOR: 2, _SCOPE: 3, _RESULT: 4, _HUMAN: 5}
#: Shared parts kept per report before the table is emptied (bounds memory, keeps hits high).
_MAX_SHARED = 50_000


def _code(tag: Any) -> int:
    code = _CODES.get(_local(tag), _IGNORE)
    if len(_TAG_CODES) < 10_000:  # attacker-chosen names must not grow it without bound
        _TAG_CODES[tag] = code
    return code


def _record(element: Any, reader: _Reader) -> AggregateRecord | None:
    """One ``record`` in a single pass over its elements in document order.

    The schema's nesting (RFC 7489 appendix C) is followed with a small state
    machine instead of a nested walk: ``row``/``policy_evaluated``/
    ``identifiers``/``auth_results``/``reason`` switch the section, and inside
    ``auth_results`` each ``dkim``/``spf`` starts a new result.  This is the
    hot loop of a 500,000-record report (see bench/README.md): one dict
    lookup per element gives its meaning.
    """
    number = reader.records
    cap = reader.limits.max_field_chars
    codes = _TAG_CODES
    section = _IGNORE
    source_ip: str | None = None
    count: int | None = None
    disposition = dkim_result = spf_result = None
    reasons: list[list[str | None]] = []
    reason: list[str | None] | None = None
    header_from = envelope_from = envelope_to = None
    auths: list[list[str | None]] = []
    current: list[str | None] | None = None
    nodes = element.iter()
    next(nodes)  # the record itself
    for node in nodes:
        code = codes.get(node.tag)
        if code is None:
            code = _code(node.tag)
        if code <= _REASON:
            if code:
                section = code
                if code == _REASON:
                    reason = [None, None] if len(reasons) < 20 else None
                    if reason is not None:
                        reasons.append(reason)
            continue
        if section == _AUTH:
            if code in (_DKIM, _SPF):
                if len(auths) < 100:
                    current = ["dkim" if code == _DKIM else "spf", None, None, None, None, None]
                    auths.append(current)
                else:
                    current = None
                continue
            if current is None or code not in _AUTH_SLOT:
                continue
            text = node.text
            if text:
                text = text.strip()
                if len(text) > cap:
                    text = reader.cut(text, number, node.tag)
                if code in (_RESULT, _SCOPE):
                    text = text.lower()
                elif code == _DOMAIN:
                    text = text.rstrip(".").lower()
            current[_AUTH_SLOT[code]] = text or None
            continue
        text = node.text
        if text:
            text = text.strip()
            if len(text) > cap:
                text = reader.cut(text, number, node.tag)
        if not text:
            text = None
        if code == _SOURCE_IP:
            if source_ip is None and text is not None:
                source_ip = reader.addresses.get(text)
                if source_ip is None:
                    source_ip = _ip(reader, text, number)
                    if source_ip is not None and len(reader.addresses) < _MAX_SHARED:
                        reader.addresses[text] = source_ip
        elif code == _COUNT:
            if count is None and text is not None:
                count = _count(reader, text, number)
        elif code == _DISPOSITION:
            disposition = text.lower() if text is not None else None
        elif code == _DKIM:
            dkim_result = text.lower() if text is not None else None
        elif code == _SPF:
            spf_result = text.lower() if text is not None else None
        elif code == _HEADER_FROM:
            header_from = text.rstrip(".").lower() or None if text is not None else None
        elif code == _ENVELOPE_FROM:
            envelope_from = text.rstrip(".").lower() or None if text is not None else None
        elif code == _ENVELOPE_TO:
            envelope_to = text.rstrip(".").lower() or None if text is not None else None
        elif section == _REASON and reason is not None:
            if code == _TYPE:
                reason[0] = text.lower() if text is not None else None
            elif code == _COMMENT:
                reason[1] = text
    if count is None:
        reader.warn(f"record {number} has no usable count: skipped")
        return None
    if source_ip is None:
        reader.warn(f"record {number} has no usable source_ip")
    # The parts of a record repeat across a report (the same policy outcome, the same
    # signatures): frozen values are shared instead of built again for every record.
    shared_auth, shared_policy, shared_ids = reader.shared
    if len(shared_auth) > _MAX_SHARED:
        shared_auth.clear()
    dkim: list[DKIMAuthResult] = []
    spf: list[SPFAuthResult] = []
    for entry in auths:
        key = tuple(entry)
        value = shared_auth.get(key)
        if value is None:
            if entry[0] == "dkim":
                value = DKIMAuthResult(entry[1], entry[2], entry[4], entry[5])
            else:
                value = SPFAuthResult(entry[1], entry[3], entry[4], entry[5])
            shared_auth[key] = value
        (dkim if entry[0] == "dkim" else spf).append(value)
    key = (disposition, dkim_result, spf_result, *map(tuple, reasons)) if reasons else (
        disposition, dkim_result, spf_result)
    evaluated = shared_policy.get(key)
    if evaluated is None:
        if len(shared_policy) > _MAX_SHARED:
            shared_policy.clear()
        evaluated = shared_policy[key] = PolicyEvaluated(
            disposition, dkim_result, spf_result, tuple(PolicyOverrideReason(r[0], r[1]) for r in reasons))
    key = (header_from, envelope_from, envelope_to)
    identifiers = shared_ids.get(key)
    if identifiers is None:
        if len(shared_ids) > _MAX_SHARED:
            shared_ids.clear()
        identifiers = shared_ids[key] = Identifiers(header_from, envelope_from, envelope_to)
    return AggregateRecord.fast(source_ip, count, evaluated, identifiers, tuple(dkim), tuple(spf))


def _ip(reader: _Reader, text: str, number: int) -> str | None:
    """The address in canonical form (RFC 5952 for IPv6), with the C parser of the socket module."""
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):
        reader.warn(f"record {number}: source_ip {text[:60]!r} is not an IP address")
        return None


def _count(reader: _Reader, text: str, number: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        try:
            value = int(float(text))
        except (ValueError, OverflowError):
            reader.warn(f"record {number}: count {text[:20]!r} is not a number")
            return None
    if not 0 <= value < _MAX_COUNT:
        reader.warn(f"record {number}: count {text[:20]!r} is out of range")
        return None
    return value
