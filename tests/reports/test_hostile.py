"""Hostile report inputs (SPEC section 10): each refused with a clear error in bounded time and memory,
with no file read and no network connection that the input asked for."""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import REPO

from mailwarden.errors import ReportParseError
from mailwarden.reports import AggregateReport, Limits, ReportError, iter_reports, parse_aggregate
from mailwarden.reports.limits import MiB, gunzip

HEAD = (b"<?xml version='1.0'?><feedback><report_metadata><org_name>o</org_name><report_id>r</report_id>"
        b"<date_range><begin>1</begin><end>2</end></date_range></report_metadata>"
        b"<policy_published><domain>example.com</domain><p>none</p></policy_published>")
RECORD = (b"<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated>"
          b"<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
          b"<identifiers><header_from>example.com</header_from></identifiers></record>")


def _items(data: bytes | Path, limits: Limits | None = None) -> list[object]:
    out = []
    kwargs = {"limits": limits} if limits else {}
    for item in iter_reports(data, **kwargs):
        if isinstance(item, AggregateReport):
            try:
                item.to_json()
            except ReportParseError as exc:
                out.append(ReportError(item.source, str(exc)))
                continue
        out.append(item)
    return out


def _error(data: bytes | Path, limits: Limits | None = None) -> str:
    items = _items(data, limits)
    assert len(items) == 1 and isinstance(items[0], ReportError), items
    return items[0].error


def _spaces_gzip(size: int) -> bytes:
    """A gzip bomb whose first bytes look like a report, so only the caps can stop it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = (RECORD + b" " * (64 * 1024 - len(RECORD))) * 16
    parts = [compressor.compress(HEAD)] + [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


def test_gzip_bomb_refused_quickly() -> None:
    bomb = _spaces_gzip(256 * MiB)  # ~250 KB that inflate to 256 MiB
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    error = _error(bomb)
    assert "bomb" in error
    assert time.monotonic() - started < 20  # ~1 s alone; the CI machine is shared


def test_gzip_absolute_cap() -> None:
    data = gzip.compress(HEAD + RECORD * 2000 + b"</feedback>")
    limits = Limits(max_decompressed_bytes=64 * 1024)
    assert "refused" in _error(data, limits)


def test_gunzip_is_lazy() -> None:
    stream = gunzip([_spaces_gzip(64 * MiB)])
    assert len(next(stream)) <= 256 * 1024  # a bounded first chunk, not the whole output


def test_zip_bomb_refused_by_declared_size() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("report.xml", "w", force_zip64=True) as member:
        block = b"\0" * MiB
        for _ in range(200):
            member.write(block)
    data = buffer.getvalue()
    assert len(data) < 1_000_000
    started = time.monotonic()
    error = _error(data)
    assert "zip bomb" in error
    assert time.monotonic() - started < 5


def test_zip_member_lying_about_its_size(tmp_path: Path) -> None:
    """A member whose real data is larger than declared is cut at the declared size: a clear error."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r.xml", HEAD + RECORD * 5000 + b"</feedback>")
    data = bytearray(buffer.getvalue())
    # Shrink the declared uncompressed size in both the local header and the central directory.
    real = len(HEAD + RECORD * 5000 + b"</feedback>")
    fake = (1000).to_bytes(4, "little")
    data = bytes(data).replace(real.to_bytes(4, "little"), fake)
    items = _items(data)
    assert len(items) == 1 and isinstance(items[0], ReportError)


def test_zip_with_many_members_and_nested_archives() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(100):
            archive.writestr(f"{index}.xml", HEAD + b"</feedback>")
    assert "more than 64 files" in _error(buffer.getvalue())
    nested = HEAD + RECORD + b"</feedback>"
    for level in range(5):
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as archive:
            archive.writestr(f"level{level}.zip", nested)
        nested = inner.getvalue()
    assert "nested" in _error(nested)


def test_zip_member_names_are_only_labels(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../../../tmp/evil\n\x1b[31m.xml", HEAD + RECORD + b"</feedback>")
        archive.writestr("/etc/passwd", HEAD + RECORD + b"</feedback>")
    before = set(os.listdir(tmp_path))
    path = tmp_path / "x.zip"
    path.write_bytes(buffer.getvalue())
    items = _items(path)
    assert [type(i) for i in items] == [AggregateReport] * 2
    assert "\x1b" not in items[0].source and "\n" not in items[0].source
    assert set(os.listdir(tmp_path)) == before | {"x.zip"}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name><report_id>x</report_id></report_metadata></feedback>"""


def test_billion_laughs_refused() -> None:
    assert "DOCTYPE" in _error(BILLION_LAUGHS)
    assert "DOCTYPE" in _error(gzip.compress(BILLION_LAUGHS))


def test_doctype_after_the_root_refused() -> None:
    data = HEAD + b'<!DOCTYPE x [<!ENTITY a "b">]>' + RECORD + b"</feedback>"
    assert "DOCTYPE" in _error(data)


def test_external_entity_to_a_local_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "' + secret.as_uri().encode()
           + b'">]><feedback><report_metadata><org_name>&xxe;</org_name><report_id>1</report_id>'
           b"</report_metadata><policy_published><domain>&xxe;</domain></policy_published>" + RECORD
           + b"</feedback>")
    items = _items(xxe)
    assert "TOP-SECRET" not in repr([i.to_json() for i in items])  # type: ignore[attr-defined]
    assert "DOCTYPE" in _error(xxe)
    # Without a DOCTYPE, an XInclude or a bare entity reference is inert text, never fetched.
    xinclude = (HEAD.replace(b"<feedback>", b'<feedback xmlns:xi="http://www.w3.org/2001/XInclude">')
                + b'<xi:include href="' + secret.as_uri().encode() + b'" parse="text"/>' + RECORD + b"</feedback>")
    items = _items(xinclude)
    assert isinstance(items[0], AggregateReport)
    assert "TOP-SECRET" not in json.dumps(items[0].to_json())


def test_external_entity_to_a_url_makes_no_connection() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/evil.dtd".encode()
        documents = [
            b'<?xml version="1.0"?><!DOCTYPE feedback SYSTEM "' + url + b'"><feedback/>',
            b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY % p SYSTEM "' + url + b'"> %p;]><feedback/>',
            b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY e SYSTEM "' + url + b'">]>'
            b"<feedback><report_metadata><org_name>&e;</org_name></report_metadata></feedback>",
            HEAD.replace(b"<feedback>", b'<feedback xmlns:xi="http://www.w3.org/2001/XInclude">')
            + b'<xi:include href="' + url + b'"/>' + RECORD + b"</feedback>",
        ]
        for document in documents:
            _items(document)
        with pytest.raises(TimeoutError):
            connection, _ = listener.accept()
            connection.close()
    finally:
        listener.close()


def test_a_1_gb_text_node_claim_is_refused_after_a_few_mib() -> None:
    consumed = []

    def claim() -> Iterator[bytes]:
        yield HEAD[:-len(b"</policy_published>")] + b"</policy_published><record><row><source_ip>"
        block = b"a" * MiB
        for _ in range(1024):  # 1 GiB, never built in memory
            consumed.append(len(block))
            yield block

    started = time.monotonic()
    with pytest.raises(ReportParseError, match="refused"):
        list(parse_aggregate(claim(), source="claim").iter_records())
    assert sum(consumed) <= 16 * MiB
    assert time.monotonic() - started < 5


def test_absurd_nesting_refused() -> None:
    data = HEAD + b"<record>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</record></feedback>"
    with pytest.raises(ReportParseError, match=r"depth|refused"):
        list(parse_aggregate([data], source="deep").iter_records())
    assert "refused" in _error(b"<feedback>" + b"<x>" * 100_000)


def test_unknown_elements_do_not_accumulate_and_are_capped() -> None:
    def flood(count: int) -> Iterator[bytes]:
        yield HEAD
        block = b"<junk>z</junk>" * 10_000
        for _ in range(count):
            yield block
        yield RECORD + b"</feedback>"

    report = parse_aggregate(flood(9), source="flood")
    assert len(list(report.iter_records())) == 1
    consumed = []

    def counted() -> Iterator[bytes]:
        for chunk in flood(10_000):  # 100 million elements
            consumed.append(len(chunk))
            yield chunk

    with pytest.raises(ReportParseError, match="unknown elements"):
        list(parse_aggregate(counted(), source="flood").iter_records())
    assert len(consumed) < 20


def test_one_huge_record_refused() -> None:
    def big() -> Iterator[bytes]:
        yield HEAD + b"<record>"
        for _ in range(100):
            yield b"<x>y</x>" * 100_000
        yield b"</record></feedback>"

    with pytest.raises(ReportParseError, match="larger than"):
        list(parse_aggregate(big(), source="big").iter_records())


def test_not_feedback_and_no_metadata() -> None:
    assert "no <feedback>" in _error(b"<html><body>hi</body></html>")
    assert "report_metadata" in _error(b"<feedback><record/></feedback>")
    assert "empty" in _error(b"")
    assert "not a report" in _error(b"\x00\x01binary junk")


def test_absurd_values_become_warnings() -> None:
    record = (b"<record><row><source_ip>not-an-ip</source_ip><count>99999999999999999999999</count></row></record>"
              b"<record><row><source_ip>2001:DB8::1</source_ip><count>1e3</count></row>"
              b"<identifiers><header_from>" + b"d" * 5000 + b"</header_from></identifiers></record>")
    report = parse_aggregate([HEAD.replace(b"<begin>1<", b"<begin>nan<") + record + b"</feedback>"], source="v")
    records = list(report.iter_records())
    assert len(records) == 1
    assert records[0].source_ip == "2001:db8::1" and records[0].count == 1000
    assert len(records[0].identifiers.header_from or "") == 2048
    assert report.report_metadata.date_range.begin is None
    assert any("count" in w for w in report.warnings)
    assert any("cut" in w for w in report.warnings)


def test_json_nesting_and_size() -> None:
    assert "nested too deeply" in _error(b"[" * 100_000 + b"]" * 100_000)
    assert "not an SMTP TLS report" in _error(b'{"a": 1}')
    big = b'{"organization-name": "' + b"x" * (2 * MiB) + b'"}'
    assert "larger than" in _error(big, Limits(max_json_bytes=MiB))


def test_directory_walk_skips_fifos_and_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.xml").write_bytes(HEAD + RECORD + b"</feedback>")
    os.mkfifo(tmp_path / "a" / "pipe.xml")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    (tmp_path / "a" / "zero.xml").symlink_to("/dev/zero")
    started = time.monotonic()
    items = _items(tmp_path)
    assert time.monotonic() - started < 5
    assert [(Path(i.source).name, type(i).__name__) for i in items] == [  # type: ignore[union-attr]
        ("pipe.xml", "ReportError"), ("r.xml", "AggregateReport"), ("zero.xml", "ReportError")]
    assert items[0].error == "not a regular file: not read"  # type: ignore[union-attr]
    assert items[2].error == "a symbolic link: not followed"  # type: ignore[union-attr]
    assert "not a regular file" in _error(tmp_path / "a" / "pipe.xml")


def test_oversized_email_refused() -> None:
    message = b"From: a@example.com\r\nSubject: x\r\n\r\n" + b"y" * (2 * MiB)
    assert "larger than" in _error(message, Limits(max_message_bytes=MiB))


@pytest.mark.slow
def test_memory_stays_flat_for_a_big_streamed_report(tmp_path: Path) -> None:
    """200,000 records (48 MB of XML) through gzip in a subprocess: peak RSS stays flat.

    VmHWM, not ru_maxrss: the latter keeps the forking pytest process's peak across exec.
    """
    path = tmp_path / "big.xml.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(HEAD)
        chunk = RECORD * 1000
        for _ in range(200):
            handle.write(chunk)
        handle.write(b"</feedback>")
    script = (
        "import sys\n"
        "from mailwarden.reports import iter_reports\n"
        "n = 0\n"
        "for item in iter_reports(sys.argv[1]):\n"
        "    n += sum(1 for _ in item.iter_records())\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(n, peak)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, env=env, timeout=120,
                          check=True)
    count, peak_kib = map(int, done.stdout.split())
    assert count == 200_000
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib} KiB"
