"""``mailwarden bounce FILE [--me ADDR | --domain DOMAIN]...`` (SPEC section 8).

Recognises DSNs, non-standard bounces, auto-replies, ARF reports and success
notices; with ``--me``/``--domain`` adds the DNS-free backscatter verdict
(``--batv-key-file`` lets a BATV-signing owner decide from the bounce's
recipient address).
"""

from __future__ import annotations

import click

from mailwarden.cli.common import Options, dns_options, emit_each, error_item


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--me", "me", multiple=True, metavar="ADDR", help="One of your addresses (repeatable).")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN", help="One of your domains (repeatable).")
@click.option("--batv-key-file", metavar="FILE", help="Your BATV secret: bounces to unsigned or expired "
              "addresses are backscatter.")
@dns_options
def bounce(file: str, me: tuple[str, ...], domains: tuple[str, ...], batv_key_file: str | None,
           opts: Options) -> None:
    """Recognise a bounce or auto-reply in FILE (- for stdin) and tell backscatter from real bounces."""
    from mailwarden.bounces import analyze_bounce, backscatter_verdict
    from mailwarden.cli.common import read_messages
    from mailwarden.errors import InputError

    for address in me:
        if "@" not in address:
            raise click.BadParameter(f"{address!r} is not an e-mail address", param_hint="--me")
    key = None
    if batv_key_file:
        from mailwarden.bounces.batv import load_key

        key = load_key(batv_key_file)
    items = []
    for message in read_messages(file):
        if isinstance(message, InputError):
            items.append(error_item(message))
            continue
        report = analyze_bounce(message)
        verdict = None
        if me or domains:
            verdict = backscatter_verdict(report, me, domains, batv_key=key, now=opts.now, notification=message)
        obj = report.to_json()
        obj["verdict"] = verdict.verdict if verdict else None
        obj["verdict_evidence"] = list(verdict.evidence) if verdict else []
        items.append((obj, lambda report=report, verdict=verdict, asked=bool(me or domains):
                      _render(report, verdict, asked)))
    emit_each(opts, items)


def _render(report, verdict, asked: bool = True) -> None:
    labels = {
        "dsn": "a delivery status notification (RFC 3464 bounce)",
        "non-standard": "a bounce in a non-standard format",
        "autoreply": "an automatic reply (out of office / vacation)",
        "feedback-report": "an abuse/feedback report (ARF)",
        "delivery-success": "a successful-delivery notice",
        "none": "not a bounce or automatic reply",
    }
    click.echo(f"This message is {labels.get(report.kind, report.kind)}.")
    if report.mta:
        click.echo(f"Written by: {report.mta}")
    if report.reason:
        click.echo(f"Reason: {report.reason}")
    for rec in report.recipients[:50]:
        status = f" {rec.status}" if rec.status else ""
        click.echo(f"  {rec.action}{status}: {rec.address}")
        if rec.diagnostic:
            click.echo(f"      {rec.diagnostic[:200]}")
    if report.recipients_truncated:
        click.echo(f"  ... {report.recipients_total} recipients in all; the first {len(report.recipients)} are read")
    if report.feedback:
        click.echo(f"Feedback type: {report.feedback.feedback_type}; source IP {report.feedback.source_ip}")
    orig = report.original
    if orig and orig.headers_found:
        click.echo(f"Original message: from {orig.from_} to {orig.to}, subject {orig.subject!r}, "
                   f"Message-ID {orig.message_id}")
    elif report.kind != "none":
        click.echo("The original message was not returned.")
    if verdict:
        click.echo(f"Verdict: {verdict.verdict}")
        for line in verdict.evidence:
            click.echo(f"  - {line}")
