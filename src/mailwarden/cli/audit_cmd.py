"""``mailwarden audit DOMAIN`` (SPEC section 7): the domain audit as a to-do list.

Human output answers first (grade and the top things to fix), then the exact
records to publish, then the DMARC roll-out plan; it fits one screen.
``--json`` prints the SPEC object.  ``--fail-on critical|warning`` exits 4 when
a finding of that severity or worse exists (for CI; 1 stays reserved for
internal faults, SPEC section 3).  A domain that does not exist exits 2, DNS
that does not answer exits 3: no grade and no records then.
"""

from __future__ import annotations

import click

from mailwarden.cli.common import Options, dns_options, emit

#: Exit status of ``--fail-on`` when a finding of that severity or worse exists (SPEC section 3).
FAIL_ON_EXIT = 4

#: Findings shown in the human to-do list (the JSON has all of them).
TOP_FINDINGS = 8


@click.command()
@click.argument("domain")
@click.option("--selector", "selectors", multiple=True, metavar="S",
              help="DKIM selector to check (repeatable); common and provider selectors are probed too.")
@click.option("--probe-catch-all", is_flag=True,
              help="Ask the MX over SMTP whether it accepts a random address (EHLO, MAIL FROM:<>, RCPT, RSET, QUIT; never DATA).")
@click.option("--smtp-port", type=click.IntRange(1, 65535), default=25, show_default=True,
              help="SMTP port for --probe-catch-all (for tests).")
@click.option("--smtp-timeout", type=click.FloatRange(0.1, 60), default=8.0, show_default=True,
              help="Seconds allowed for each SMTP reply of the probe.")
@click.option("--provider", metavar="NAME",
              help="Your mail provider (google, microsoft, sendgrid, ...): probes its DKIM selectors, tailors the records.")
@click.option("--no-mail", is_flag=True, help="The domain sends and receives no mail: check for the lock-down records.")
@click.option("--fail-on", type=click.Choice(["critical", "warning"]),
              help="Exit with status 4 when a finding of this severity or worse exists (for CI).")
@dns_options
def audit(domain: str, selectors: tuple[str, ...], probe_catch_all: bool, smtp_port: int, smtp_timeout: float,
          provider: str | None, no_mail: bool, fail_on: str | None, opts: Options) -> int:
    """Audit a domain's SPF, DKIM, DMARC, MX and catch-all set-up; say exactly what to publish."""
    from mailwarden.audit.results import SEVERITY_RANK
    from mailwarden.audit.service import audit_domain, normalize_audit_domain

    name = normalize_audit_domain(domain)  # InputError (exit 2) before any DNS

    async def job(resolver):
        return await audit_domain(resolver, name, selectors=selectors, probe_catch_all=probe_catch_all,
                                  smtp_port=smtp_port, provider=provider, no_mail=no_mail,
                                  smtp_timeout=smtp_timeout)

    report = opts.run(job)
    emit(opts, report.to_json(), lambda: render(report))
    if fail_on is not None:
        worst = report.worst()
        if worst is not None and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]:
            return FAIL_ON_EXIT
    return 0


_MARK = {"critical": "!!", "warning": " !", "info": "  "}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render(report) -> None:
    """One screen: grade, the to-do list, the records, the plan; lines wrapped at 100 columns."""
    import textwrap

    def echo(text: str = "", indent: str = "", hang: str | None = None) -> None:
        if not text:
            click.echo("")
            return
        click.echo(textwrap.fill(text, width=100, initial_indent=indent,
                                 subsequent_indent=indent if hang is None else hang,
                                 break_long_words=False, break_on_hyphens=False))

    crit = sum(1 for f in report.findings if f.severity == "critical")
    warn = sum(1 for f in report.findings if f.severity == "warning")
    echo(f"{report.domain}: grade {report.grade}  ({_plural(crit, 'critical problem')}, {_plural(warn, 'warning')})")
    echo(report.grade_reason, "  ")
    actionable = [f for f in report.findings if f.severity != "info"]
    if actionable:
        echo()
        echo("To do, most important first:")
        for i, f in enumerate(actionable[:TOP_FINDINGS], 1):
            echo(f"{_MARK[f.severity]} {i}. {f.message}", "", "      ")
            echo(f"Fix: {f.fix}  [{f.id}]", "      ")
        if len(actionable) > TOP_FINDINGS:
            echo(f"... and {len(actionable) - TOP_FINDINGS} more (see --json)", "     ")
    notes = [f for f in report.findings if f.severity == "info"]
    if notes:
        echo("Notes: " + " ".join(f"{f.message} [{f.id}]" for f in notes[:3]), "", "  ")
    if report.recommended_records:
        echo()
        echo("Records to publish:")
        for r in report.recommended_records:
            value = r.value if r.type != "TXT" else f'"{r.value}"'
            click.echo(f"  {r.name}  {r.type}  {value}")  # never wrapped: it is copied as it is
            if r.why:
                echo(f"({r.why})", "      ")
    if report.spf.senders:
        named = sorted({s.provider for s in report.spf.senders if s.provider})
        other = [s.mechanism for s in report.spf.senders if not s.provider]
        echo()
        echo("SPF lets these send as the domain: " + ", ".join(named + other[:6])
             + f"  ({report.spf.lookups} DNS lookups; at most 10 work)", "", "  ")
    if report.catch_all is not None:
        echo(f"Catch-all probe of {report.catch_all.host}: {report.catch_all.outcome} "
             f"({report.catch_all.rcpt_reply or report.catch_all.detail})", "", "  ")
    for note in report.notes:
        echo(note)
    echo()
    echo("DMARC roll-out plan:")
    for i, step in enumerate(report.rollout, 1):
        echo(f"{i}. {step}", "  ", "     ")
