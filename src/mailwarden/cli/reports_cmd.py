"""``mailwarden reports ...``: DMARC aggregate/failure and SMTP-TLS reports (SPEC section 12).

The group loads its sub-commands lazily from :data:`SUBCOMMANDS` (name ->
module, attribute, one-line help), like the top-level ``mailwarden`` group:
add a command by adding an entry; its module is imported only when used.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

import click

#: name -> (module, attribute, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "parse": ("mailwarden.cli.reports_cmd", "parse", "Print what report files hold (no store)."),
    "ingest": ("mailwarden.cli.reports_store_cmd", "ingest", "Store reports from files, folders or IMAP."),
    "summary": ("mailwarden.cli.reports_store_cmd", "summary", "Who sends mail as your domain: the digest."),
    "sources": ("mailwarden.cli.reports_store_cmd", "sources", "Every sending source with its kind and provider."),
    "export": ("mailwarden.cli.reports_store_cmd", "export", "Write stored reports as JSON or CSV."),
}


class _LazyReportsGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = SUBCOMMANDS.get(cmd_name)
        if entry is None:
            return None
        return getattr(importlib.import_module(entry[0]), entry[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry[2]) for name, entry in SUBCOMMANDS.items()])


@click.group(cls=_LazyReportsGroup)
def reports() -> None:
    """DMARC aggregate and failure reports and SMTP-TLS reports: who sends mail as your domain.

    Inputs: .xml, .xml.gz, .zip, .json(.gz), report e-mails (.eml), mbox files,
    Maildir folders and directories.
    """


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: {reports: [...], errors: [...]}.")
def parse(files: tuple[str, ...], as_json: bool) -> None:
    """Parse report FILEs (or folders; - for standard input) and print what they hold.

    Files that hold no usable report are listed under errors; the exit status
    stays 0.
    """
    from mailwarden.cli.common import emit_json

    reports_json, errors = collect(files)
    if as_json:
        emit_json({"reports": reports_json, "errors": errors})
        return
    _render(reports_json, errors)


def collect(files: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every report of ``files`` as SPEC JSON, and the inputs that gave none."""
    from mailwarden.cli.common import read_input
    from mailwarden.errors import InputError
    from mailwarden.reports import ReportError, iter_reports

    found: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for name in files:
        item: Any = read_input("-", what="report") if name == "-" else name
        for report in iter_reports(item, source=name):
            if isinstance(report, ReportError):
                errors.append(report.to_json())
                continue
            try:
                found.append(report.to_json())
            except InputError as exc:  # a stream that broke after its header (aggregate records)
                errors.append({"source": report.source, "error": " ".join(str(exc).split())[:500]})
    return found, errors


def _day(value: int | None) -> str:
    if value is None:
        return "?"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")


def _render(found: list[dict[str, Any]], errors: list[dict[str, str]]) -> None:
    if not found and not errors:
        click.echo("No reports found.")
    for report in found:
        click.echo(f"{report['source']}:")
        kind = report["kind"]
        if kind == "aggregate":
            meta, policy, records = report["report_metadata"], report["policy_published"], report["records"]
            total = sum(r["count"] for r in records)
            passed = sum(r["count"] for r in records
                         if "pass" in (r["policy_evaluated"]["dkim"], r["policy_evaluated"]["spf"]))
            rate = f"{100 * passed / total:.0f}% passed DMARC" if total else "no messages"
            click.echo(f"  DMARC aggregate report from {meta['org_name'] or '(no name)'} about "
                       f"{policy['domain'] or '(no domain)'} (policy p={policy['p'] or '?'}), "
                       f"{_day(meta['date_range']['begin'])} to {_day(meta['date_range']['end'])} UTC")
            click.echo(f"  {total} messages from {len({r['source_ip'] for r in records})} sources "
                       f"in {len(records)} records; {rate}")
        elif kind == "failure":
            click.echo(f"  DMARC failure report ({report['feedback_type']}): a message from "
                       f"{report['source_ip'] or 'an unknown IP'} claiming to be "
                       f"{', '.join(report['reported_domain']) or 'your domain'} failed authentication")
        else:
            policies = report.get("policies") or []
            ok = sum(p.get("summary", {}).get("total-successful-session-count", 0) for p in policies)
            bad = sum(p.get("summary", {}).get("total-failure-session-count", 0) for p in policies)
            click.echo(f"  SMTP TLS report from {report.get('organization-name')}: "
                       f"{ok} TLS sessions succeeded, {bad} failed")
        for warning in report.get("warnings", [])[:5]:
            click.echo(f"  note: {warning}")
    for error in errors:
        click.echo(f"{error['source']}: not read: {error['error']}")
