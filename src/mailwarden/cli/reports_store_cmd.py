"""``mailwarden reports ingest | summary | sources | export``: the report store's commands (SPEC section 12).

Thin front end: :mod:`mailwarden.reports.ingest` / :mod:`mailwarden.reports.imap`
fill the store, :mod:`mailwarden.reports.analysis` answers, this module renders.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from mailwarden.cli.common import Options, dns_options, emit_json

if TYPE_CHECKING:
    from mailwarden.reports.analysis import DomainSummary, Source, Summary
    from mailwarden.reports.ingest import IngestResult, Progress
    from mailwarden.reports.store import Store

#: Addresses looked up in reverse DNS by default (the sources with the most messages).
DEFAULT_RESOLVE = 300
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def db_option(func: Any) -> Any:
    return click.option("--db", "db_url", metavar="URL", envvar="MAILWARDEN_DB", show_envvar=True,
                        help="Report store: a file path (SQLite) or postgresql://... "
                             "[default: $XDG_DATA_HOME/mailwarden/reports.db]")(func)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """``YYYY-MM-DD`` or Unix seconds."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.isdigit():
            return dt.datetime.fromtimestamp(int(text), dt.UTC).date()
        return dt.date.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or Unix seconds)", param_hint=option) from None


def clean(text: object) -> str:
    """Attacker text made safe for a terminal (no control or bidi characters)."""
    return _UNPRINTABLE.sub("?", str(text))


def open_store(url: str | None) -> Store:
    from mailwarden.reports.store import Store

    return Store.open(url)


# -- ingest ------------------------------------------------------------------------------------


@click.command()
@click.argument("sources", nargs=-1, metavar="SOURCE...")
@db_option
@click.option("--imap", "imap_url", metavar="imaps://USER@HOST[:PORT]/FOLDER",
              help="Read report e-mails from this IMAP folder (password: $MAILWARDEN_IMAP_PASSWORD or --password-file).")
@click.option("--move-to", metavar="FOLDER", help="Move each IMAP message there once its reports are stored.")
@click.option("--password-file", type=click.Path(dir_okay=False), help="File whose first line is the IMAP password.")
@click.option("--imap-timeout", type=click.FloatRange(1, 600), default=30.0, show_default=True,
              help="Seconds allowed for one IMAP exchange.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: {added, known, rejected, moved, errors}.")
def ingest(sources: tuple[str, ...], db_url: str | None, imap_url: str | None, move_to: str | None,
           password_file: str | None, imap_timeout: float, as_json: bool) -> None:
    """Store the reports of SOURCE files and folders (or an IMAP folder) in the report store.

    A report already stored is recognised (reporter + report id) and not added again;
    an input that holds no usable report is kept as rejected with its error (see
    `reports summary`). The exit status is 0 whatever the inputs held.
    """
    from mailwarden.reports.ingest import Ingestor

    if not sources and not imap_url:
        raise click.UsageError("give SOURCE files or folders, or --imap URL")
    if move_to and not imap_url:
        raise click.UsageError("--move-to only applies to --imap")
    target = password = None
    if imap_url:
        from mailwarden.reports.imap import parse_imap_url, read_password

        target = parse_imap_url(imap_url)
        password = read_password(password_file)
    store = open_store(db_url)
    try:
        with _progress(not as_json) as progress:
            ingestor = Ingestor(store, progress=progress)
            for source in sources:
                if source == "-":
                    from mailwarden.cli.common import read_input

                    ingestor.add_bytes(read_input("-", what="report"), "-")
                else:
                    ingestor.add_path(source)
            if target is not None and password is not None:
                from mailwarden.reports.imap import ingest_imap

                ingest_imap(ingestor, target, password, move_to=move_to, timeout=imap_timeout)
        result = ingestor.result()
    finally:
        store.close()
    if as_json:
        emit_json(result.to_json())
    else:
        _render_ingest(result)


@contextmanager
def _progress(wanted: bool) -> Iterator[Progress | None]:
    """A rich progress line on stderr when it is a terminal; nothing otherwise."""
    if not wanted or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    counts = {"added": 0, "known": 0, "rejected": 0}
    with RichProgress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading reports")

        def update(source: str, outcome: str) -> None:
            counts[outcome] += 1
            bar.update(task, description=(f"{counts['added']} added, {counts['known']} already known, "
                                          f"{counts['rejected']} rejected"))

        yield update


def _render_ingest(result: IngestResult) -> None:
    click.echo(f"{result.added} report(s) added, {result.known} already known, {result.rejected} rejected"
               + (f"; {result.moved} message(s) moved" if result.moved else "") + ".")
    for source, error in result.errors[:20]:
        click.echo(f"  rejected {clean(source)}: {clean(error)}")
    if result.rejected > 20:
        click.echo(f"  ... and {result.rejected - 20} more (see `mailwarden reports summary`)")


# -- summary and sources ---------------------------------------------------------------------------


def analysis_options(func: Any) -> Any:
    func = click.option("--geoip", metavar="FILE", type=click.Path(dir_okay=False),
                        help="MaxMind DB (GeoLite2/IPinfo) for country and network owner.")(func)
    func = click.option("--offline", is_flag=True, help="No reverse DNS lookups.")(func)
    func = click.option("--resolve", "resolve_limit", type=click.IntRange(0, 100_000), default=DEFAULT_RESOLVE,
                        show_default=True, help="Look up reverse DNS of this many sources (most messages first).")(func)
    func = click.option("--since", metavar="DATE", help="First day (YYYY-MM-DD).")(func)
    func = click.option("--domain", metavar="D", help="Only this domain.")(func)
    return db_option(func)


def _analyse(opts: Options, db_url: str | None, domain: str | None, since: str | None, until: str | None,
             offline: bool, resolve_limit: int, geoip_path: str | None, job: Any) -> Any:
    from mailwarden.reports import analysis

    since_day, until_day = parse_date(since, "--since"), parse_date(until, "--until")
    geoip = analysis.GeoIP(geoip_path) if geoip_path else None
    store = open_store(db_url)
    try:
        window = analysis.window(domain, since_day, until_day)
        traffic = analysis.load_traffic(store, window)
        names = None
        if not offline and resolve_limit:
            ips = analysis.source_ips(traffic, resolve_limit)
            names = opts.run(lambda resolver: analysis.reverse_names(resolver, ips))
        return job(store, window, traffic, names, geoip)
    finally:
        store.close()
        if geoip is not None:
            geoip.close()


@click.command()
@analysis_options
@click.option("--until", metavar="DATE", help="Last day (YYYY-MM-DD).")
@dns_options
def summary(opts: Options, db_url: str | None, domain: str | None, since: str | None, until: str | None,
            offline: bool, resolve_limit: int, geoip: str | None) -> None:
    """Who sends mail as your domain: volume, DMARC pass rate, the four kinds of sender, readiness.

    authorized = passes DMARC; forwarded = your mail passed on by a forwarder or list;
    misconfigured = a known service sending as you without alignment (p=reject would block it);
    unauthorized = everyone else (spoofing).
    """
    from mailwarden.reports import analysis

    def job(store, window, traffic, names, geo):  # type: ignore[no-untyped-def]
        return analysis.summary(store, domain=window.domain, since=window.since, until=window.until,
                                names=names, geoip=geo, traffic=traffic)

    result = _analyse(opts, db_url, domain, since, until, offline, resolve_limit, geoip, job)
    if opts.json:
        emit_json(result.to_json())
    else:
        render_summary(result)


@click.command()
@analysis_options
@click.option("--bucket", type=click.Choice(["authorized", "forwarded", "misconfigured", "unauthorized"]),
              help="Only sources of this kind.")
@click.option("--until", metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10_000_000), default=200, show_default=True,
              help="Most sources listed.")
@dns_options
def sources(opts: Options, db_url: str | None, domain: str | None, since: str | None, until: str | None,
            offline: bool, resolve_limit: int, geoip: str | None, bucket: str | None, limit: int) -> None:
    """Every source that sent mail as your domain, with reverse DNS, provider and kind."""
    from mailwarden.reports import analysis

    def job(store, window, traffic, names, geo):  # type: ignore[no-untyped-def]
        return analysis.sources(store, domain=window.domain, bucket=bucket, since=window.since, until=window.until,
                                names=names, geoip=geo, limit=limit, traffic=traffic)

    result = _analyse(opts, db_url, domain, since, until, offline, resolve_limit, geoip, job)
    if opts.json:
        emit_json(result.to_json())
        return
    if not result.sources:
        click.echo("No sources in the store for this selection.")
        return
    click.echo(f"{result.total} source(s), most messages first" +
               (f" (showing {len(result.sources)})" if result.total > len(result.sources) else "") + ":")
    width = max(len(s.ip) for s in result.sources)
    for source in result.sources:
        click.echo(_source_line(source, with_domain=domain is None, width=width))
        click.echo(f"      {source.bucket.value}: {clean(source.reason)}")


def _source_line(source: Source, *, with_domain: bool = False, width: int = 15) -> str:
    name = "no reverse DNS"
    if source.reverse is not None and source.reverse.name:
        name = clean(source.reverse.name) + ("" if source.reverse.confirmed else " (unconfirmed)")
    elif source.reverse is not None and source.reverse.failed:
        name = "reverse DNS did not answer"
    elif source.reverse is None:
        name = "reverse DNS not looked up"
    provider = f", {clean(source.provider.name)} ({source.provider.type})" if source.provider else ""
    geo = f", {source.geo.country or '?'} AS{source.geo.asn or '?'}" if source.geo else ""
    rate = f"{source.pass_rate:.0%} pass" if source.pass_rate is not None else ""
    domain = f"{clean(source.domain)}  " if with_domain else ""
    return f"  {domain}{clean(source.ip):<{width}} {source.messages:>9} msgs  {rate:>9}  {name}{provider}{geo}"


_BUCKET_NOTES = {
    "authorized": "pass DMARC",
    "forwarded": "your mail passed on by forwarders and lists",
    "misconfigured": "known services sending as you without alignment: p=reject would block them",
    "unauthorized": "not yours: spoofing",
}


def render_summary(result: Summary) -> None:
    """The plain-text digest: answer first, then the evidence."""
    if not result.domains:
        click.echo("No DMARC aggregate reports in the store for this selection. "
                   "Add some with `mailwarden reports ingest FILE...`.")
    for index, domain in enumerate(result.domains):
        if index:
            click.echo("")
        _render_domain(domain)
    counts = dict(result.report_counts)
    others = [f"{counts[k]} {name}" for k, name in (("failure", "failure report(s)"), ("tls", "TLS report(s)"))
              if counts.get(k)]
    if others:
        click.echo("")
        click.echo("Also stored: " + ", ".join(others) + " (`mailwarden reports export --kind failure|tls`).")
    if result.rejected_total:
        click.echo("")
        click.echo(f"{result.rejected_total} input(s) could not be read as reports:")
        for item in result.rejected[:10]:
            click.echo(f"  {clean(item.source)}: {clean(item.error)}")
        if result.rejected_total > 10:
            click.echo(f"  ... and {result.rejected_total - 10} more (--json lists the newest 20)")
    if not result.reverse_dns:
        click.echo("")
        click.echo("Reverse DNS was not looked up (--offline): services were recognised by their DKIM/SPF domains only.")


def _render_domain(d: DomainSummary) -> None:
    from mailwarden.reports.analysis import Bucket

    unauthorized = d.bucket(Bucket.UNAUTHORIZED)
    misconfigured = d.bucket(Bucket.MISCONFIGURED)
    period = f"{d.first_day} to {d.last_day}" if d.first_day else "no dates"
    rate = f"{d.pass_rate:.1%}" if d.pass_rate is not None else "n/a"
    click.echo(f"{clean(d.domain)}: {rate} of {d.messages:,} messages passed DMARC ({period}, "
               f"{d.reports} report(s) from {d.reporters} reporter(s)).")
    headline = []
    if unauthorized.messages:
        headline.append(f"{unauthorized.messages:,} message(s) from {unauthorized.sources} source(s) look like "
                        "spoofing")
    if misconfigured.messages:
        headline.append(f"{misconfigured.sources} known service(s) send as you without alignment")
    click.echo("  " + ("; ".join(headline) + "." if headline else "No spoofing and no misconfigured service seen."))
    click.echo("")
    for total in d.buckets:
        click.echo(f"  {total.bucket.value:<14}{total.messages:>10,} msgs {total.sources:>6} source(s)   "
                   f"{_BUCKET_NOTES[total.bucket.value]}")
    for bucket, title in ((Bucket.MISCONFIGURED, "Fix these before tightening the policy"),
                          (Bucket.UNAUTHORIZED, "Sending as you without permission"),
                          (Bucket.FORWARDED, "Forwarded")):
        shown = [s for s in d.top_sources if s.bucket is bucket]
        if shown:
            click.echo("")
            click.echo(f"  {title}:")
            width = max(len(s.ip) for s in shown)
            for source in shown:
                click.echo("  " + _source_line(source, width=width))
    if d.series:
        recent = d.series[-7:]
        click.echo("")
        click.echo(("  DMARC pass rate, last 7 days with reports: " if len(d.series) > 7 else "  DMARC pass rate by day: ")
                   + ", ".join(f"{v.day.isoformat()} {v.pass_rate:.0%}" if v.pass_rate is not None else f"{v.day} -"
                               for v in recent))
    ready = d.readiness
    click.echo("")
    policy = f"p={ready.current_policy or 'none'}" + (
        f" pct={ready.current_pct}" if ready.current_pct is not None and ready.current_pct < 100 else "")
    if ready.next_step is None:
        click.echo(f"  Policy {policy}: {ready.reason}.")
    elif ready.ready:
        click.echo(f"  Policy {policy}: ready for {ready.next_step}: {ready.reason}.")
    else:
        click.echo(f"  Policy {policy}: not yet ready for {ready.next_step}: {ready.reason}.")


# -- export ----------------------------------------------------------------------------------------


@click.command()
@click.option("--kind", type=click.Choice(["aggregate", "failure", "tls"]), default="aggregate", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@db_option
@click.option("--domain", metavar="D", help="Only this domain.")
@click.option("--since", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Last day (YYYY-MM-DD).")
def export(kind: str, fmt: str, as_json: bool, db_url: str | None, domain: str | None, since: str | None,
           until: str | None) -> None:
    """Write the stored reports of one KIND to standard output (streamed: any size)."""
    from mailwarden.reports.export import export_csv, export_json

    since_day, until_day = parse_date(since, "--since"), parse_date(until, "--until")
    store = open_store(db_url)
    try:
        out = sys.stdout
        writer = export_json if as_json or fmt == "json" else export_csv
        writer(store, kind, out, domain=domain, since=since_day, until=until_day)
        out.flush()
    finally:
        store.close()


__all__ = ["export", "ingest", "render_summary", "sources", "summary"]
