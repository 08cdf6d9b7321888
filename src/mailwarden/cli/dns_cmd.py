"""``mailwarden dns query NAME [TYPE]``: ask the resolver one question.

Handy to check a snapshot, a ``--nameserver``, or to record answers with
``--dns-record`` for later replay.
"""

from __future__ import annotations

import click

from mailwarden.cli.common import Options, dns_options, emit


@click.group()
def dns() -> None:
    """Ask DNS questions through mailwarden's resolver."""


@dns.command("query")
@click.argument("name")
@click.argument("rdtype", default="TXT", metavar="[TYPE]")
@dns_options
def query(name: str, rdtype: str, opts: Options) -> None:
    """Look up TYPE (A, AAAA, TXT, MX, PTR, CNAME, NS; default TXT) records of NAME."""
    from mailwarden.dns.base import SUPPORTED_TYPES

    rdtype = rdtype.upper()
    if rdtype not in SUPPORTED_TYPES:
        raise click.BadParameter(f"unsupported type {rdtype}; use one of {', '.join(SUPPORTED_TYPES)}")

    async def job(resolver):
        return await resolver.query(name, rdtype)

    answer = opts.run(job)
    records = [list(r) if isinstance(r, tuple) else str(r) for r in answer.records]
    obj = {"name": answer.name, "type": answer.rdtype, "rcode": answer.rcode.value,
           "nodata": answer.nodata, "records": records, "ttl": answer.ttl,
           "cname_chain": [list(step) for step in answer.cname_chain]}

    def human() -> None:
        status = "NODATA" if answer.nodata else answer.rcode.value
        click.echo(f"{answer.name} {answer.rdtype}: {status}")
        for alias, target in answer.cname_chain:
            click.echo(f"  {alias} is an alias (CNAME) for {target}")
        for record in records:
            click.echo("  " + (" ".join(f'"{s}"' for s in record) if isinstance(record, list) else record))

    emit(opts, obj, human)
