"""``mailwarden check FILE`` (SPEC section 5): SPF + DKIM + ARC + DMARC on one
message, and the Authentication-Results header to add."""

from __future__ import annotations

import ipaddress

import click

from mailwarden.cli.common import Options, dns_options, emit_each, error_item, read_messages


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
    from mailwarden.errors import InputError

    messages = read_messages(file)

    async def job(resolver):
        results: list = []
        async with Authenticator(dns=resolver, authserv_id=authserv_id, dmarc_mode=dmarc_mode) as auth:
            for message in messages:
                if isinstance(message, InputError):
                    results.append(message)
                    continue
                restart = getattr(resolver, "restart_deadline", None)
                if restart is not None:
                    restart()
                results.append(await auth.authenticate(message, ip=ip, helo=helo, mail_from=mail_from,
                                                       now=opts.now))
        return results

    emit_each(opts, [error_item(r) if isinstance(r, InputError) else _item(r) for r in opts.run(job)])


def _item(result):
    return result.to_json(), lambda: _human(result)


def _human(result) -> None:
    env = result.envelope
    d = result.dmarc
    click.echo(f"DMARC {d.result.upper()} for {d.from_domain or '(no From domain)'}"
               + (f", policy {d.policy}, disposition {d.disposition}" if d.policy else ""))
    click.echo(f"  {d.reason}")
    click.echo(f"  Aligned: SPF {'yes' if d.alignment.spf else 'no'}, DKIM {'yes' if d.alignment.dkim else 'no'}"
               + (f" (d={d.aligned_dkim_domain})" if d.aligned_dkim_domain else ""))
    if len(d.domains) > 1:
        for dom in d.domains:
            click.echo(f"  From domain {dom.from_domain}: {dom.result}")
    if result.spf_skipped is None:
        click.echo(f"SPF {result.spf.result.upper()} for {result.spf.domain} from {env.ip}"
                   f" (ip from {env.ip_source}, mail from {env.mail_from_source or 'none'})")
    else:
        click.echo(f"SPF not checked: {result.spf_skipped}")
    if not result.dkim:
        click.echo("DKIM: no signatures")
    for sig in result.dkim:
        click.echo(f"DKIM {sig.result.upper()} d={sig.domain} s={sig.selector}" + (f": {sig.reason}" if sig.reason else ""))
    click.echo(f"ARC {result.arc.cv.upper()} ({result.arc.instances} set(s))")
    if result.trust.forged:
        click.echo(f"Warning: {len(result.trust.claims)} header(s) already claim to be from "
                   f"{result.authserv_id}; they were added before this server and were ignored.")
    click.echo(result.authentication_results)
