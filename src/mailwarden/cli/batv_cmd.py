"""``mailwarden batv sign|verify ADDR --key-file F [--now T]`` (SPEC section 8).

BATV ``prvs=`` tags (draft-levine-smtp-batv): ``sign`` tags an envelope
sender; ``verify`` checks the address a bounce was sent to.
"""

from __future__ import annotations

import click

from mailwarden.cli.common import Options, dns_options, emit


@click.group()
def batv() -> None:
    """Sign and verify BATV prvs= envelope senders."""


def _key_option(func):
    func = click.option("--days", type=click.IntRange(1, 365), default=7, show_default=True,
                        help="Lifetime of a tag in days.")(func)
    return click.option("--key-file", required=True, metavar="FILE", help="File holding the BATV secret.")(func)


@batv.command("sign")
@click.argument("address", metavar="ADDR")
@_key_option
@dns_options
def sign_cmd(address: str, key_file: str, days: int, opts: Options) -> None:
    """Tag ADDR as a prvs= envelope sender valid for --days days."""
    from mailwarden.bounces.batv import load_key, sign

    result = sign(address, load_key(key_file), opts.now, valid_days=days)
    emit(opts, result.to_json(), lambda: click.echo(result.address))


@batv.command("verify")
@click.argument("address", metavar="ADDR")
@_key_option
@dns_options
def verify_cmd(address: str, key_file: str, days: int, opts: Options) -> None:
    """Check the prvs= tag of ADDR (the address a bounce was sent to)."""
    from mailwarden.bounces.batv import load_key, verify

    result = verify(address, load_key(key_file), opts.now, valid_days=days)
    verdict = "genuine bounce target" if result.ok else "a bounce to it is backscatter"
    obj = result.to_json()
    obj["bounce_verdict"] = "genuine" if result.ok else "backscatter"
    emit(opts, obj, lambda: click.echo(f"{result.result}: {result.detail} ({verdict})"))
