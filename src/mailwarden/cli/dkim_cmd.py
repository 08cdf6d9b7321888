"""``mailwarden dkim verify|sign|keygen`` (SPEC section 5): DKIM on the command line."""

from __future__ import annotations

import os
import sys

import click

from mailwarden.cli.common import Options, dns_options, emit, emit_json, read_input, read_message


@click.group()
def dkim() -> None:
    """Verify DKIM signatures, sign messages and generate keys (RFC 6376, 8301, 8463)."""


@dkim.command("verify")
@click.argument("file", metavar="FILE")
@dns_options
def verify(file: str, opts: Options) -> None:
    """Verify every DKIM-Signature of FILE (a path or - for standard input), topmost first."""
    from mailwarden.dkim import verify_message

    message = read_message(file)

    async def job(resolver):
        return await verify_message(resolver, message, now=opts.now)

    results = opts.run(job)
    obj = {"signatures": [r.to_json() for r in results]}

    def human() -> None:
        if not results:
            click.echo("No DKIM-Signature on this message.")
        for n, r in enumerate(results, 1):
            where = f"d={r.domain} s={r.selector}" if r.domain else "unreadable signature"
            bits = f", {r.key_bits}-bit {r.key_type} key" if r.key_bits else ""
            click.echo(f"[{n}] {r.result.upper()}: {where} ({r.algorithm}{bits})")
            if r.reason:
                click.echo(f"    {r.reason}")
            if r.unsigned_bytes_after_l:
                click.echo(f"    WARNING: l= leaves {r.unsigned_bytes_after_l} body bytes unsigned")

    emit(opts, obj, human)


@dkim.command("sign")
@click.argument("file", metavar="FILE")
@click.option("--domain", "-d", required=True, help="Signing domain (d=).")
@click.option("--selector", "-s", required=True, help="Selector (s=).")
@click.option("--key", "key_file", required=True, metavar="PEMFILE", help="Private key (PEM, or base64 Ed25519 seed).")
@click.option("--algorithm", "-a", type=click.Choice(["rsa-sha256", "ed25519-sha256"]), default="rsa-sha256",
              show_default=True)
@click.option("--canonicalization", "-c", default="relaxed/relaxed", show_default=True,
              help="header/body: simple or relaxed each.")
@click.option("--headers", metavar="h1:h2:...", help="Header fields to sign (default: the usual set present, From over-signed).")
@click.option("--identity", "-i", help="Agent or user identifier (i=), within --domain.")
@click.option("--now", type=float, metavar="UNIXTIME", help="Signature time t= (default: the clock).")
def sign(file: str, domain: str, selector: str, key_file: str, algorithm: str, canonicalization: str,
         headers: str | None, identity: str | None, now: float | None) -> None:
    """Sign FILE and write the signed message to standard output."""
    from mailwarden.dkim import sign_message
    from mailwarden.message import parse_message

    if canonicalization not in {f"{h}/{b}" for h in ("simple", "relaxed") for b in ("simple", "relaxed")} | {
            "simple", "relaxed"}:
        raise click.BadParameter("use simple or relaxed for header/body, e.g. relaxed/relaxed",
                                 param_hint="--canonicalization")
    raw = read_input(file, what="message")
    message = parse_message(raw)
    key = read_input(key_file, what="key file")
    names = headers.split(":") if headers else None
    field = sign_message(message, domain, selector, key, algorithm, canonicalization, names, now, identity=identity)
    write_signed(raw, [field])


def write_signed(raw: bytes, fields: list[bytes]) -> None:
    """Prepend the new fields to the message as given (LF-only input keeps LF line ends)."""
    added = b"".join(fields)
    if b"\r\n" not in raw:
        added = added.replace(b"\r\n", b"\n")
    sys.stdout.buffer.write(added + raw)
    sys.stdout.flush()


@dkim.command("keygen")
@click.option("--type", "key_type", type=click.Choice(["rsa", "ed25519"]), default="rsa", show_default=True)
@click.option("--bits", type=click.IntRange(1024, 8192), default=2048, show_default=True, help="RSA key size.")
@click.option("--selector", "-s", default="mail", show_default=True, help="Selector the record is published under.")
@click.option("--domain", "-d", help="Domain, to print the full record name.")
@click.option("--out", "out_file", metavar="PEMFILE", help="Private key file to create (default SELECTOR.pem).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
def keygen(key_type: str, bits: int, selector: str, domain: str | None, out_file: str | None, as_json: bool) -> None:
    """Create a key pair: write the private key (mode 0600) and print the TXT record to publish."""
    from mailwarden.dkim import generate_key
    from mailwarden.errors import InputError

    pair = generate_key(key_type, bits)
    path = out_file or f"{selector}.pem"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} already exists; not overwriting a key (choose --out)") from None
    except OSError as exc:
        raise InputError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pair.private_pem)
    name = f"{selector}._domainkey.{domain}" if domain else f"{selector}._domainkey"
    if as_json:
        emit_json({"name": name, "type": "TXT", "value": pair.txt_record, "key_type": pair.key_type,
                   "bits": pair.bits, "private_key_file": path})
        return
    click.echo(f"Private key written to {path} (keep it secret).")
    click.echo("Publish this TXT record:")
    click.echo(f"{name} IN TXT \"{pair.txt_record}\"")
