"""``mailwarden arc verify|seal`` (SPEC section 5): ARC chains on the command line."""

from __future__ import annotations

import click

from mailwarden.cli.common import Options, dns_options, emit, read_input


@click.group()
def arc() -> None:
    """Validate and seal ARC chains (RFC 8617)."""


@arc.command("verify")
@click.argument("file", metavar="FILE")
@dns_options
def verify(file: str, opts: Options) -> None:
    """Validate the ARC chain of FILE (a path or - for standard input)."""
    from mailwarden.arc import verify_chain
    from mailwarden.message.model import Message, parse_message

    raw = read_input(file, what="message")
    # an empty input carries no ARC set: cv=none (ARC suite cv_empty), not an input error; nor does a
    # message whose header section is explicitly empty (it starts with the blank line that ends the
    # header section, RFC 5322 section 2.1; ARC suite cv_no_headers)
    if raw.strip() and not raw.startswith((b"\r\n", b"\n")):
        from mailwarden.message.split import check_is_message

        check_is_message(raw)
    message = parse_message(raw) if raw.strip() else Message((), None)

    async def job(resolver):
        return await verify_chain(resolver, message, opts.now)

    result = opts.run(job)

    def human() -> None:
        click.echo(f"ARC chain: {result.cv.upper()} ({result.instances} set(s))")
        if result.reason:
            click.echo(f"  {result.reason}")
        for s in result.sets:
            click.echo(f"  i={s.instance} seal {s.seal.result} by {s.seal.domain}, "
                       f"message signature {s.message_signature.result}; saw: {s.authentication_results}")

    emit(opts, result.to_json(), human)


@arc.command("seal")
@click.argument("file", metavar="FILE")
@click.option("--domain", "-d", required=True, help="Sealing domain (d=).")
@click.option("--selector", "-s", required=True, help="Selector (s=).")
@click.option("--key", "key_file", required=True, metavar="PEMFILE", help="Private key (PEM, or base64 Ed25519 seed).")
@click.option("--authserv-id", required=True, help="Copy the Authentication-Results of this authserv-id into the AAR.")
@click.option("--cv", type=click.Choice(["none", "pass", "fail"]),
              help="Chain state to seal with (default: the arc= result of those A-R fields, else verify the chain).")
@click.option("--headers", metavar="h1:h2:...", help="Header fields the ARC-Message-Signature signs.")
@dns_options
def seal(file: str, domain: str, selector: str, key_file: str, authserv_id: str, cv: str | None,
         headers: str | None, opts: Options) -> None:
    """Add an ARC set to FILE and write the sealed message to standard output."""
    from mailwarden.arc import seal as seal_message
    from mailwarden.arc import verify_chain
    from mailwarden.arc.seal import authserv_results, chain_state_from_results
    from mailwarden.cli.dkim_cmd import write_signed
    from mailwarden.message import parse_message

    raw = read_input(file, what="message")
    message = parse_message(raw)
    key = read_input(key_file, what="key file")
    if cv is None:
        found = authserv_results(message, authserv_id)
        if found is not None and chain_state_from_results(found[1]) is None:

            async def job(resolver):
                return await verify_chain(resolver, message, opts.now)

            cv = opts.run(job).cv
    names = headers.split(":") if headers else None
    fields = seal_message(message, domain, selector, key, authserv_id, cv=cv, headers=names, now=opts.now)
    if fields is None:
        click.echo("mailwarden: the chain already failed (latest ARC-Seal cv=fail): message left unsealed", err=True)
        write_signed(raw, [])
        return
    write_signed(raw, [fields.as_bytes()])
