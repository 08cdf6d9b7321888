"""``mailwarden spf --ip IP --mail-from ADDR --helo NAME [--receiver NAME]`` (SPEC section 5).

Evaluates SPF (RFC 7208) for one connection.  ``--json`` prints the SPEC
object (result, domain, explanation, lookups, void_lookups, mechanism) plus the
evidence (problem, chain, trace); without it, a one-screen explanation.
"""

from __future__ import annotations

import ipaddress

import click

from mailwarden.cli.common import Options, dns_options, emit


def _check_ip(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IPv4 or IPv6 address") from None
    return value.strip()


@click.command()
@click.option("--ip", required=True, callback=_check_ip, help="IP address of the connecting SMTP client.")
@click.option("--mail-from", "mail_from", required=True, metavar="ADDR",
              help='MAIL FROM address; "" (empty) checks the HELO identity (postmaster@HELO).')
@click.option("--helo", required=True, metavar="NAME", help="HELO/EHLO name the client gave.")
@click.option("--receiver", metavar="NAME", help="Name of the receiving host (macro %{r}).")
@dns_options
def spf(ip: str, mail_from: str, helo: str, receiver: str | None, opts: Options) -> None:
    """Evaluate SPF (RFC 7208) for an IP address, MAIL FROM and HELO."""
    from mailwarden.spf import evaluate_spf

    async def job(resolver):
        return await evaluate_spf(resolver, ip, mail_from, helo, receiver=receiver, now=opts.now)

    result = opts.run(job)
    emit(opts, result.to_json(), lambda: _human(result))


def _human(result) -> None:
    from mailwarden.spf import MEANINGS

    who = "HELO name" if result.identity == "helo" else "sender domain"
    click.echo(f"SPF {result.result.upper()} for {result.sender} from {result.ip}")
    click.echo(f"  Meaning: {MEANINGS.get(result.result, result.result)}.")
    click.echo(f"  Checked the {who} {result.domain}" + (f": \"{result.record}\"" if result.record else "."))
    if result.mechanism:
        where = f" in the record of {result.matched_domain}" if result.matched_domain else ""
        click.echo(f"  Decided by the term '{result.mechanism}'{where}.")
    elif result.result in ("neutral", "pass", "fail", "softfail"):
        click.echo("  No term matched: the default result applies.")
    if result.problem:
        click.echo(f"  Problem: {result.problem}")
    if result.explanation:
        click.echo(f"  Explanation from the domain: {result.explanation}")
    for step in result.chain:
        click.echo(f"  Followed {step.kind} from {step.source} to {step.target}: {step.result or 'unfinished'}")
    click.echo(f"  DNS lookups used: {result.lookups} of 10; void lookups: {result.void_lookups} of 2.")
