"""IMAP ingest against a real Dovecot (session fixture): move after commit, and a crash mid-way.

The crash test kills ``mailwarden reports ingest --imap`` with SIGKILL while it is
storing, then runs it again: every report is stored exactly once with all its
records, and every message ends in the archive folder.
"""

from __future__ import annotations

import imaplib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, select
from tests.reports.helpers import DAY, T0, expected_messages, report_email
from tests.support.dovecot import PASSWORD, USER

from mailwarden.reports.store import Store
from mailwarden.reports.store.schema import agg_records, reports


def client(server) -> imaplib.IMAP4:  # type: ignore[no-untyped-def]
    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    conn.login(USER, PASSWORD)
    return conn


def fresh_folder(server, messages: list[bytes]) -> str:  # type: ignore[no-untyped-def]
    name = f"T{uuid.uuid4().hex[:10]}"
    conn = client(server)
    try:
        assert conn.create(name)[0] == "OK"
        for message in messages:
            assert conn.append(name, None, None, message)[0] == "OK"
    finally:
        conn.logout()
    return name


def folder_size(server, name: str) -> int:  # type: ignore[no-untyped-def]
    conn = client(server)
    try:
        status, data = conn.status(name, "(MESSAGES)")
        if status != "OK":
            return -1
        return int(data[0].split(b"MESSAGES ")[1].rstrip(b")"))
    finally:
        conn.logout()


def ingest(server, folder: str, db: str, *extra: str, password: str = PASSWORD) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k != "MAILWARDEN_DB"}
    env["MAILWARDEN_IMAP_PASSWORD"] = password
    return subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "reports", "ingest", "--imap", server.url(folder), "--db", db, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


def stored(store_url: str) -> tuple[int, int, int, int]:
    """(reports, records, declared records, messages) in the store."""
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            count, declared = conn.execute(select(func.count(), func.coalesce(func.sum(reports.c.record_count), 0))).one()
            records, messages = conn.execute(select(func.count(), func.coalesce(func.sum(agg_records.c.count), 0))).one()
    finally:
        store.close()
    return int(count), int(records), int(declared), int(messages)


def test_imap_ingest_moves_only_committed_reports(dovecot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    not_a_report = b"From: friend@example.org\r\nTo: dmarc@test.example\r\nSubject: hello\r\n\r\nlunch?\r\n"
    folder = fresh_folder(dovecot, [report_email("imap-1", 20), not_a_report,
                                    report_email("imap-2", 5, begin=T0 + DAY, org="yahoo.com")])
    archive = f"{folder}/Processed"
    db = str(tmp_path / "r.db")
    code, out, err = finish(ingest(dovecot, folder, db, "--move-to", archive))
    assert code == 0, err
    assert out.startswith("2 report(s) added, 0 already known, 1 rejected; 2 message(s) moved."), out
    assert ";UID=2: " in out  # the rejected message is named
    assert (folder_size(dovecot, folder), folder_size(dovecot, archive)) == (1, 2)
    assert stored(db) == (2, 25, 25, expected_messages(20) + expected_messages(5))
    # the message that held no report stays; the run after adds nothing
    code, out, _ = finish(ingest(dovecot, folder, db, "--move-to", archive))
    assert out.startswith("0 report(s) added, 0 already known, 1 rejected."), out
    assert stored(db)[0] == 2


def test_imap_without_move_leaves_the_folder_alone(dovecot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = fresh_folder(dovecot, [report_email("ro-1", 3)])
    code, out, _ = finish(ingest(dovecot, folder, str(tmp_path / "r.db"), "--json"))
    assert code == 0 and '"added": 1' in out
    assert folder_size(dovecot, folder) == 1
    conn = client(dovecot)
    try:
        conn.select(folder, readonly=True)
        assert b"\\Seen" not in conn.fetch("1", "(FLAGS)")[1][0]  # BODY.PEEK: not marked read
    finally:
        conn.logout()


def test_imap_wrong_password_is_a_clear_error(dovecot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = finish(ingest(dovecot, "INBOX", str(tmp_path / "r.db"), password="wrong"))
    assert code == 2 and "IMAP login as dmarc@test.example refused" in err and "wrong" not in err
    assert "Traceback" not in err and out == ""


def test_imap_password_file(dovecot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = fresh_folder(dovecot, [report_email("pf-1", 2)])
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\n")
    code, out, err = finish(ingest(dovecot, folder, str(tmp_path / "r.db"), "--password-file", str(secret),
                                   password=""))
    assert code == 0 and out.startswith("1 report(s) added"), err


MESSAGES = 8
RECORDS = 3000


def test_a_killed_imap_ingest_loses_and_duplicates_nothing(dovecot, store_url: str) -> None:  # type: ignore[no-untyped-def]
    folder = fresh_folder(dovecot, [report_email(f"kill-{i}", RECORDS, begin=T0 + i * DAY) for i in range(MESSAGES)])
    archive = f"{folder}/Done"
    Store.open(store_url).close()  # migrate first, so the poll below never races the migration
    process = ingest(dovecot, folder, store_url, "--move-to", archive)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and stored(store_url)[0] < 3:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    count, records, declared, _ = stored(store_url)
    assert 3 <= count < MESSAGES, "the ingest was not killed mid-way"
    assert records == declared == count * RECORDS  # committed reports are whole, the interrupted one left nothing
    moved = folder_size(dovecot, archive)
    assert moved <= count  # a message is moved only after its reports were committed

    code, out, err = finish(ingest(dovecot, folder, store_url, "--move-to", archive, "--json"))
    assert code == 0, err
    assert stored(store_url) == (MESSAGES, MESSAGES * RECORDS, MESSAGES * RECORDS, MESSAGES * expected_messages(RECORDS))
    assert (folder_size(dovecot, folder), folder_size(dovecot, archive)) == (0, MESSAGES)
    assert f'"added": {MESSAGES - count}' in out and f'"known": {count - moved}' in out


@pytest.mark.parametrize("url", ["imap://u@mail.example.com/INBOX", "imaps://u:pw@h/INBOX", "pop3://u@h/INBOX",
                                 "imaps://h/INBOX"])
def test_bad_imap_urls(url: str) -> None:
    from mailwarden.errors import InputError
    from mailwarden.reports.imap import parse_imap_url

    with pytest.raises(InputError):
        parse_imap_url(url)


def test_imap_url_with_an_address_as_user() -> None:
    from mailwarden.reports.imap import parse_imap_url

    target = parse_imap_url("imaps://dmarc@test.example@mail.example.com/Reports/DMARC")
    assert (target.tls, target.user, target.host, target.port, target.folder) == (
        True, "dmarc@test.example", "mail.example.com", 993, "Reports/DMARC")
    assert parse_imap_url("imap://u%40x@127.0.0.1:1143/").folder == "INBOX"
