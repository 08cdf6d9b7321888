"""``mailwarden allowlist FILE (--me ADDR | --domain DOMAIN)... [--format F]`` (SPEC section 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mailwarden.cli.common import Options, emit
from mailwarden.errors import InputError

if TYPE_CHECKING:
    from mailwarden.allowlist import AllowlistReport

_FORMATS = ["auto", "plain", "spamassassin", "postfix", "rspamd", "sieve", "csv"]


@click.command("allowlist")
@click.argument("file", metavar="FILE")
@click.option("--me", "me", multiple=True, metavar="ADDR", help="Your address (repeatable).")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN", help="Your domain (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="auto",
    show_default=True,
    help="Allow-list format; auto detects it from the content.",
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
def allowlist(file: str, me: tuple[str, ...], domains: tuple[str, ...], fmt: str, as_json: bool) -> None:
    """Find the allow-list entries that let forged mail in.

    FILE is a plain list, SpamAssassin configuration, Postfix access map, rspamd
    multimap configuration, Sieve script or CSV export ('-' reads standard input).
    Every risky entry is reported with its line number and the exact change.
    """
    if not me and not domains:
        raise click.UsageError("give your identity with --me ADDR and/or --domain DOMAIN")
    from mailwarden.allowlist import audit_allowlist, parse_allowlist_bytes, relevant_to
    from mailwarden.cli.common import read_input

    keep = relevant_to(list(me), list(domains))
    data = read_input(file, what="allow list")
    parsed = parse_allowlist_bytes(data, fmt, filename=None if file == "-" else file, keep=keep)
    del data
    try:
        report = audit_allowlist(parsed, list(me), list(domains))
    except InputError as exc:  # the service names no flag; the command line does
        raise click.UsageError(f"{exc} (check --me and --domain)") from None
    opts = Options(as_json, None, None, None, 0.0, 0.0)  # no DNS: the audit reads only the file
    emit(opts, report.to_json(), lambda: _human(report))


def _human(report: AllowlistReport) -> None:
    import textwrap

    from mailwarden.allowlist import WHY

    def echo(text: str = "", indent: str = "") -> None:
        click.echo(textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False) if text else "")

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    if report.findings:  # the answer first
        critical = sum(1 for f in report.findings if f.severity == "critical")
        echo(f"{plural(len(report.findings), 'entry')} to change".replace("entrys", "entries")
             + (f", {critical} of them critical" if critical else "") + ": each lets forged mail skip your "
             "spam filter.")
    else:
        echo("Nothing to change: no entry lets forged mail from you, your domain or a whole public domain in.")
    echo(f"(Read as {report.format}: {plural(report.allow_entries, 'allow entry')} among "
         f"{plural(report.entries, 'entry')}.)".replace("entrys", "entries"))
    echo("")
    echo(WHY)
    said: set[str] = set()

    def once(text: str) -> str:
        """The sentences of ``text`` not said yet for an earlier entry (a caveat is said once)."""
        import re

        fresh = [x for x in re.split(r"(?<=[.)])\s+(?=[A-Z])", text) if x not in said]
        said.update(fresh)
        return " ".join(fresh) or "the same as above, with the line below."

    for f in report.findings:
        echo("")
        echo(f"line {f.line}: {f.entry}  [{f.severity}: {f.id}]")
        echo(f.message, "    ")
        if f.replacement and f"`{f.replacement}`" in f.fix:  # the new line once, on its own, to copy
            echo("What to do: " + once(f.fix.replace(f"`{f.replacement}`", "the line below", 1)), "    ")
            click.echo(f"        {f.replacement}")
        elif f.change == "delete" or not f.replacement:
            echo(f"What to do: {once(f.fix)}", "    ")
        else:
            echo(f"What to do: {once(f.fix)} New text: {f.replacement}", "    ")
    if report.problems:
        echo("")
        echo(f"Lines that could not be understood ({len(report.problems) + report.problems_omitted}):")
        for p in report.problems:
            echo(f"line {p.line}: {p.reason}: {p.text}", "  ")
        if report.problems_omitted:
            echo(f"... and {report.problems_omitted} more", "  ")
    for note in report.notes:
        echo(f"Note: {note}")
