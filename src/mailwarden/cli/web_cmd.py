"""``mailwarden web`` (SPEC section 13): the same answers in a browser.

Listens on 127.0.0.1 by default.  Any other address needs a password
(``MAILWARDEN_WEB_PASSWORD`` or ``--password-file``) or a token
(``MAILWARDEN_WEB_TOKEN`` or ``--token-file``); neither is ever taken from the
command line, where other users of the machine could read it.
"""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="Port to listen on.")
@click.option("--db", "db_url", metavar="URL", envvar="MAILWARDEN_DB",
              help="Reports store for the dashboard (default: MAILWARDEN_DB or the user's data directory).")
@click.option("--password-file", metavar="FILE",
              help="File holding the login password, or its hash from --hash-password (else MAILWARDEN_WEB_PASSWORD).")
@click.option("--token-file", metavar="FILE", help="File holding an access token (else MAILWARDEN_WEB_TOKEN).")
@click.option("--dns", "dns_file", metavar="FILE", help="Answer every DNS question from this snapshot file.")
@click.option("--nameserver", metavar="HOST[:PORT]", help="Live DNS through this server.")
@click.option("--max-upload-mb", type=click.FloatRange(0.01, 64), default=10.0, show_default=True,
              help="Largest message a visitor may paste or upload.")
@click.option("--no-reverse-dns", is_flag=True, help="Do not look up the reverse DNS names of report sources.")
@click.option("--hash-password", is_flag=True,
              help="Read a password on standard input, print its scrypt hash (for --password-file) and exit.")
def web(host: str, port: int, db_url: str | None, password_file: str | None, token_file: str | None,
        dns_file: str | None, nameserver: str | None, max_upload_mb: float, no_reverse_dns: bool,
        hash_password: bool) -> None:
    """Serve the diagnosis page, the domain audit and the reports dashboard."""
    from mailwarden.web.config import WebConfig, check_bind, load_credentials
    from mailwarden.web.config import hash_password as make_hash

    if hash_password:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise click.UsageError("the password must have at least 8 characters")
        click.echo(make_hash(password))
        return
    password_hash, token = load_credentials(password_file, token_file)
    config = WebConfig(host=host, port=port, db_url=db_url, dns=dns_file, nameserver=nameserver,
                       password_hash=password_hash, token_sha256=token,
                       upload_limit=int(max_upload_mb * 1024 * 1024), reverse_dns=not no_reverse_dns)
    check_bind(config)  # InputError: exit 2 before anything listens
    try:
        from mailwarden.web.server import serve
    except ImportError as exc:
        from mailwarden.errors import InputError

        raise InputError(f"mailwarden web needs the 'web' extra (pip install 'mailwarden[web]'): {exc}") from None

    serve(config)
