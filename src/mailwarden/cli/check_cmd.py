"""``mailwarden check FILE`` (SPEC section 5): SPF + DKIM + ARC + DMARC on one
message, and the Authentication-Results header to add."""

from __future__ import annotations

import ipaddress

import click

from mailwarden.cli.common import AnswerTally, Options, dns_options, emit_each, error_item, read_messages


def _check_ip(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IPv4 or IPv6 address") from None
    return value.strip()


def _check_authserv_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    from mailwarden.authres import default_authserv_id, valid_authserv_id

    if value is None:
        return default_authserv_id()
    if not valid_authserv_id(value.strip()):
        raise click.BadParameter(f"{value[:80]!r} is not a valid authserv-id (use a host name such as mx.example.com)")
    return value.strip()


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--ip", metavar="IP", callback=_check_ip, help="IP address of the SMTP client (default: from the Received chain).")
@click.option("--helo", metavar="NAME", help="HELO/EHLO name (default: from the Received chain).")
@click.option("--mail-from", "mail_from", metavar="ADDR", help="MAIL FROM address (default: the Return-Path).")
@click.option("--authserv-id", "authserv_id", callback=_check_authserv_id, metavar="ID",
              help="authserv-id of the Authentication-Results to write (default: this host's name).")
@click.option("--dmarc-mode", type=click.Choice(["rfc9989", "rfc7489"]), default="rfc9989", show_default=True,
              help="rfc9989: DNS tree walk, np/psd/t, no pct; rfc7489: Public Suffix List, pct.")
@dns_options
def check(file: str, ip: str | None, helo: str | None, mail_from: str | None, authserv_id: str,
          dmarc_mode: str, opts: Options) -> None:
    """Evaluate SPF, DKIM, ARC and DMARC for FILE (a path or - for standard input)."""
    from mailwarden.auth import Authenticator
    from mailwarden.errors import DNSUnavailableError, InputError

    messages = read_messages(file)

    async def job(resolver):
        tally = AnswerTally(resolver)
        results: list = []
        async with Authenticator(dns=tally, authserv_id=authserv_id, dmarc_mode=dmarc_mode) as auth:
            for message in messages:
                if isinstance(message, InputError):
                    results.append(message)
                    continue
                tally.restart()
                results.append(await auth.authenticate(message, ip=ip, helo=helo, mail_from=mail_from,
                                                       now=opts.now))
                if len(messages) == 1 and tally.nothing_answered():  # SPEC section 3: exit 3, no result
                    raise DNSUnavailableError(tally.describe_failure(opts.nameserver))
        return results

    emit_each(opts, [error_item(r) if isinstance(r, InputError) else _item(r) for r in opts.run(job)])


def _item(result):
    return result.to_json(), lambda: _human(result)


_SOURCES = {"option": "given on the command line", "received": "read from the Received header",
            "return-path": "read from the Return-Path header"}
_DMARC_WORDS = {
    "pass": "the From domain is vouched for by an aligned SPF or DKIM pass",
    "fail": "nothing vouches for the From domain: neither SPF nor DKIM passed for it",
    "none": "the From domain publishes no DMARC policy",
    "temperror": "DNS did not answer; try again later",
    "permerror": "the domain's DMARC record is broken",
}


_DISPOSITIONS = {"none": "deliver it normally", "quarantine": "put it in the spam folder",
                 "reject": "refuse it"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _wrapped(text: str, indent: str = "  ") -> str:
    import textwrap

    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)


def _fold(header: str) -> str:
    """An Authentication-Results field folded after each ``;`` (RFC 5322 section 2.2.3)."""
    if len(header) <= 100:
        return header
    name, _, value = header.partition(": ")
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == '"' and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and ch == ";":
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return f"{name}: " + ";\n\t".join(p for p in parts if p)


def _human(result) -> None:
    env = result.envelope
    d = result.dmarc
    echo = click.echo
    echo(f"DMARC {d.result.upper()} for {d.from_domain or 'a message without a From domain'}: "
         f"{_DMARC_WORDS.get(d.result, d.result)}")
    if d.policy:
        echo(_wrapped(f"The domain's policy is {d.policy}; for this message that means: "
                      f"{_DISPOSITIONS.get(d.disposition, d.disposition)}."))
    if d.reason:
        echo(_wrapped(f"Detail: {d.reason}"))
    echo(_wrapped(f"Aligned with the From domain: SPF {'yes' if d.alignment.spf else 'no'}, DKIM "
                  f"{'yes' if d.alignment.dkim else 'no'}"
                  + (f" (signature of {d.aligned_dkim_domain})" if d.aligned_dkim_domain else "")))
    if len(d.domains) > 1:
        for dom in d.domains:
            echo(f"  From domain {dom.from_domain}: {dom.result}")
    if result.spf_skipped is None:
        where = _SOURCES.get(env.ip_source or "", "unknown")
        echo(_wrapped(f"SPF {result.spf.result.upper()} for {result.spf.domain}: sent from "
                      f"{env.ip or 'an unknown address'} (address {where}, envelope sender "
                      f"{_SOURCES.get(env.mail_from_source or '', 'not known')})", ""))
    else:
        echo(_wrapped(f"SPF not checked: {result.spf_skipped}", ""))
    if not result.dkim:
        echo("DKIM: the message carries no signature")
    for sig in result.dkim:
        echo(_wrapped(f"DKIM {sig.result.upper()} for {sig.domain} (selector {sig.selector})"
                      + (f": {sig.reason}" if sig.reason else ""), ""))
    n = result.arc.instances
    echo("ARC: no forwarder seals" if n == 0 else f"ARC {result.arc.cv.upper()} ({_plural(n, 'seal')})")
    if result.trust.forged:
        claims = len(result.trust.claims)
        one = claims == 1
        echo(_wrapped(f"Warning: {_plural(claims, 'header')} already {'claims' if one else 'claim'} to be from "
                      f"{result.authserv_id}; {'it was' if one else 'they were'} added before this server and "
                      f"{'was' if one else 'were'} ignored.", ""))
    echo("")
    echo("Header to add:")
    echo(_fold(result.authentication_results))
