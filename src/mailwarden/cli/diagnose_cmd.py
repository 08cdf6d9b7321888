"""``mailwarden diagnose`` (SPEC section 6): was my account used, or was my address forged?"""

from __future__ import annotations

import textwrap
from typing import Any

import click

from mailwarden.cli.common import (
    AnswerTally,
    Options,
    dns_options,
    emit_each,
    error_item,
    read_input,
    read_messages,
)
from mailwarden.diagnose.wording import LABELS, glossary, headline


def _load_allowlist(path: str) -> Any:
    from mailwarden.allowlist import parse_allowlist_bytes

    return parse_allowlist_bytes(read_input(path, what="allowlist"), "auto", filename=path)


def _wrap(text: str, indent: str = "  ", bullet: str = "- ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent + bullet,
                         subsequent_indent=indent + " " * len(bullet), break_long_words=False,
                         break_on_hyphens=False)


def render_human(diagnosis: Any) -> str:
    """Answer first, then why (evidence), then what to do - for a worried non-expert."""
    d = diagnosis
    lines = [f"{headline(d.verdict, d.confidence)}  (confidence: {d.confidence})", ""]
    lines += textwrap.wrap(d.summary, width=100)
    if d.sending_path == "authorized-third-party" and d.third_party:
        lines.append(f"Sent by: {d.third_party}")
    lines += ["", "Why:"]
    seen: set[str] = set()
    for e in d.evidence:
        label = LABELS.get(e.check, e.check)
        plain = e.result in ("owner", "other", "trace", "found", "trusted") or e.check == "boundary"
        line = _wrap(f"{label}: {e.detail}" if plain else f"{label} ({e.result}): {e.detail}")
        if line not in seen:  # never the same line twice
            seen.add(line)
            lines.append(line)
    said = " ".join([d.summary, *d.advice])
    missing = [m for m in d.missing if m not in said
               and not (m.startswith("DNS answers") and "did not answer" in d.summary)]
    if missing:
        lines += ["", "Missing:"] + [_wrap(m) for m in missing]
    lines += ["", "What to do:"]
    lines += [_wrap(a, bullet=f"{n}. ") for n, a in enumerate(d.advice, 1)]
    terms = glossary("\n".join(lines))
    if terms:
        lines += ["", "Words used above:"] + [_wrap(t) for t in terms]
    return "\n".join(lines)


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--me", "me", multiple=True, metavar="ADDR", help="Your e-mail address (repeatable).")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN", help="Your domain (repeatable).")
@click.option("--trusted-authserv-id", "authserv_ids", multiple=True, metavar="ID",
              help="authserv-id of your provider's Authentication-Results (e.g. mx.google.com); repeatable.")
@click.option("--trusted-relay", "relays", multiple=True, metavar="HOST-or-CIDR",
              help="Your provider's inbound relay: host name, .domain or CIDR (repeatable).")
@click.option("--trusted-sealer", "sealers", multiple=True, metavar="DOMAIN",
              help="ARC sealer you trust (a mailing list or forwarder you use), e.g. lists.example.org; repeatable.")
@click.option("--allowlist", "allowlist_file", metavar="FILE",
              help="Your spam filter's allowlist, to check for the allowlist trap.")
@dns_options
def diagnose(file: str, me: tuple[str, ...], domains: tuple[str, ...], authserv_ids: tuple[str, ...],
             relays: tuple[str, ...], sealers: tuple[str, ...], allowlist_file: str | None, opts: Options) -> None:
    """Was my account used, or was my address forged?

    FILE is the message as it sits in your mailbox (full source, or only the
    headers copied from webmail), or - for standard input. Name yourself with
    --me and/or --domain. The answer comes first, then the evidence, then what to do.
    """
    if not me and not domains:
        raise click.UsageError("name yourself with --me ADDRESS and/or --domain DOMAIN")
    from dataclasses import replace

    from mailwarden.auth import Authenticator
    from mailwarden.diagnose.boundary import parse_trusted_relays
    from mailwarden.diagnose.results import Evidence
    from mailwarden.diagnose.service import diagnose_message
    from mailwarden.errors import DNSUnavailableError, InputError

    try:
        trusted_relays = parse_trusted_relays(relays)
    except InputError as exc:  # the service names no flag; the command line does
        raise click.BadParameter(str(exc), param_hint="--trusted-relay") from None
    allowlist = _load_allowlist(allowlist_file) if allowlist_file else None
    messages = read_messages(file)

    async def job(resolver):
        tally = AnswerTally(resolver)
        results: list = []
        for message in messages:
            if isinstance(message, InputError):
                results.append(message)
                continue
            tally.restart()
            async with Authenticator(tally) as session:  # one session per message: its own DNS tally
                result = await diagnose_message(session, message, me=me, domains=domains,
                                                trusted_authserv_ids=authserv_ids, trusted_relays=trusted_relays,
                                                allowlist=allowlist, now=opts.now, trusted_sealers=sealers)
            if tally.nothing_answered():
                if result.verdict == "inconclusive" and len(messages) == 1:
                    raise DNSUnavailableError(tally.describe_failure(opts.nameserver))
                note = Evidence("dns", "unreachable", "DNS did not answer any question, so nothing could be "
                                "re-checked: this answer rests only on what your provider recorded at delivery")
                result = replace(result, evidence=(*result.evidence, note))
            results.append(result)
        return results

    items = [error_item(r) if isinstance(r, InputError) else _item(r) for r in opts.run(job)]
    emit_each(opts, items)


def _item(result: Any) -> tuple[dict[str, Any], Any]:
    return result.to_json(), lambda: click.echo(render_human(result))
