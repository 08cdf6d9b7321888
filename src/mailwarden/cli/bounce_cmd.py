"""``mailwarden bounce FILE [--me ADDR | --domain DOMAIN]...`` (SPEC section 8).

Recognises DSNs, non-standard bounces, auto-replies, ARF reports and success
notices; with ``--me``/``--domain`` adds the DNS-free backscatter verdict
(``--batv-key-file`` lets a BATV-signing owner decide from the bounce's
recipient address).
"""

from __future__ import annotations

import click

from mailwarden.bounces.wording import reason_words
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


_KINDS = {
    "dsn": "a bounce (a standard delivery status notification)",
    "non-standard": "a bounce (in a mail server's own format)",
    "autoreply": "an automatic reply (out of office / vacation)",
    "feedback-report": "an abuse or feedback report",
    "delivery-success": "a notice that a message was delivered",
    "none": "not a bounce or automatic reply",
}
_ACTIONS = {"failed": "could not be delivered", "delayed": "is delayed (the server keeps trying)",
            "delivered": "was delivered", "relayed": "was passed on", "expanded": "was passed on to a list"}
_VERDICTS = {
    "backscatter": "BACKSCATTER - a bounce about a message you did not send: you can delete it",
    "genuine": "REAL BOUNCE - about a message that really left your account",
    "unknown": "CANNOT TELL - whether you sent the returned message",
}


def _render(report, verdict, asked: bool = True) -> None:
    import textwrap

    def say(text: str, indent: str = "") -> None:
        click.echo(textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ",
                                 break_long_words=False, break_on_hyphens=False))

    if verdict:  # the answer first
        say(_VERDICTS.get(verdict.verdict, verdict.verdict.upper()))
        for line in verdict.evidence:
            say(f"- {line}", "  ")
        click.echo("")
    say(f"This message is {_KINDS.get(report.kind, report.kind)}.")
    if report.reason and report.kind != "none":
        say(f"Reason: {reason_words(report.reason)}.")
    for rec in report.recipients[:50]:
        status = f" (status {rec.status})" if rec.status else ""
        say(f"- {rec.address}: {_ACTIONS.get(rec.action, rec.action)}{status}", "  ")
        if rec.diagnostic:
            say(f"the server said: {rec.diagnostic[:200]}", "      ")
    if report.recipients_truncated:
        say(f"... {report.recipients_total} recipients in all; the first {len(report.recipients)} are shown", "  ")
    if report.feedback:
        fb = report.feedback
        say("Feedback: " + ", ".join(x for x in (fb.feedback_type and f"type {fb.feedback_type}",
                                                   fb.source_ip and f"sent from {fb.source_ip}") if x)
            if (fb.feedback_type or fb.source_ip) else "Feedback: no details given")
    orig = report.original
    if orig and orig.headers_found:
        parts = [f"from {orig.from_}" if orig.from_ else "", f"to {orig.to}" if orig.to else "",
                 f"subject {orig.subject!r}" if orig.subject else ""]
        say("The returned message was " + (", ".join(p for p in parts if p) or "included") + ".")
    elif report.kind != "none":
        say("The original message was not returned with it.")
    if report.mta:
        say(f"Written by: {report.mta}")
    if verdict is None and report.kind not in ("none", "feedback-report", "delivery-success"):
        click.echo("")
        say("Is this about a message you sent, or backscatter from spam that forged your address? Add your "
            "address to find out: --me you@example.com (or --domain example.com).")
