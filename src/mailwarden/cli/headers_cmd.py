"""``mailwarden headers FILE``: how mailwarden reads a message's headers.

Shows the From addresses (display names decoded, several From reported), the
envelope hints (Return-Path), the Received chain as hops (IP, HELO, protocol,
authenticated submission) and every Authentication-Results header — the raw
material of a diagnosis, useful when a verdict needs explaining.
"""

from __future__ import annotations

from typing import Any

import click

from mailwarden.cli.common import Options, dns_options, emit, read_message


@click.command()
@click.argument("file", metavar="FILE")
@dns_options
def headers(file: str, opts: Options) -> None:
    """Show the parsed From, Received hops and Authentication-Results of FILE (- = stdin)."""
    message = read_message(file)
    obj = headers_summary(message)

    def human() -> None:
        click.echo("From:        " + (", ".join(_show(a) for a in obj["from"]) or "(none)"))
        click.echo(f"Return-Path: {obj['return_path'] if obj['return_path'] is not None else '(none)'}")
        click.echo(f"Subject:     {obj['subject'] or ''}")
        click.echo(f"Body:        {'present' if obj['has_body'] else 'absent (headers only)'}")
        click.echo(f"Received chain ({len(obj['received'])} hops, newest first):")
        for hop in obj["received"]:
            who = hop["from_host"] or "?"
            ip = f" [{hop['ip']}]" if hop["ip"] else ""
            auth = "  AUTHENTICATED" + (f" as {hop['auth_user']}" if hop["auth_user"] else "") if hop["authenticated"] else ""
            click.echo(f"  {hop['index']:>2}. {who}{ip} -> {hop['by_host'] or '?'} ({hop['protocol'] or '?'}){auth}")
        for ar in obj["authentication_results"]:
            click.echo(f"Authentication-Results by {ar['authserv_id']}:")
            for r in ar["results"]:
                click.echo(f"  {r['method']}={r['result']}")
        for defect in obj["defects"]:
            click.echo(f"note: {defect}")

    emit(opts, obj, human)


def _show(address: dict[str, Any]) -> str:
    return f'"{address["display_name"]}" <{address["address"]}>' if address["display_name"] else address["address"]


def headers_summary(message) -> dict[str, Any]:
    """A JSON-ready view of the parsed headers."""
    received = [
        {
            "index": hop.index,
            "from_host": hop.from_host,
            "helo": hop.helo,
            "reverse_dns": hop.reverse_dns,
            "ip": hop.ip,
            "by_host": hop.by_host,
            "protocol": hop.protocol,
            "authenticated": hop.authenticated,
            "auth_user": hop.auth_user,
            "ambiguity": hop.ambiguity,
            "timestamp": hop.timestamp.isoformat() if hop.timestamp else None,
        }
        for hop in message.received
    ]
    results = [
        {"authserv_id": ar.authserv_id, "results": [{"method": r.method, "result": r.result} for r in ar.results]}
        for ar in message.authentication_results
    ]
    return {
        "from": [
            {"display_name": a.display_name, "address": a.address, "domain": a.domain}
            for a in message.from_addresses
        ],
        "return_path": message.return_path,
        "message_id": message.message_id,
        "subject": message.subject,
        "has_body": message.has_body,
        "received": received,
        "authentication_results": results,
        "defects": list(message.defects),
    }
