"""The ``mailwarden`` command group.

Sub-commands live in their own modules and are imported only when invoked, so
that ``mailwarden --help`` stays fast (no cryptography, dnspython or rich
import).  Exit status (SPEC section 3): 0 ran, 2 usage error or invalid input
(one line on stderr, no traceback), 3 DNS did not answer (one line on stderr
naming what), 4 ``audit --fail-on`` found a problem, 1 unexpected internal fault.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from mailwarden import __version__

#: name -> (module, attribute, one-line help shown by ``mailwarden --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "diagnose": ("mailwarden.cli.diagnose_cmd", "diagnose", "Was my account used, or was my address forged?"),
    "audit": ("mailwarden.cli.audit_cmd", "audit", "Audit a domain's SPF, DKIM, DMARC, MX and catch-all set-up."),
    "check": ("mailwarden.cli.check_cmd", "check", "Full SPF + DKIM + ARC + DMARC evaluation of one message."),
    "spf": ("mailwarden.cli.spf_cmd", "spf", "Evaluate SPF (RFC 7208) for an IP, MAIL FROM and HELO."),
    "dkim": ("mailwarden.cli.dkim_cmd", "dkim", "Verify, sign and generate keys for DKIM (RFC 6376)."),
    "arc": ("mailwarden.cli.arc_cmd", "arc", "Verify and seal ARC chains (RFC 8617)."),
    "bounce": ("mailwarden.cli.bounce_cmd", "bounce", "Recognise a bounce or auto-reply; tell backscatter from real bounces."),
    "batv": ("mailwarden.cli.batv_cmd", "batv", "Sign and verify BATV prvs= envelope senders."),
    "allowlist": ("mailwarden.cli.allowlist_cmd", "allowlist", "Find allowlist entries that let forged mail in."),
    "headers": ("mailwarden.cli.headers_cmd", "headers", "Show how a message's headers parse (From, Received hops, results)."),
    "dns": ("mailwarden.cli.dns_cmd", "dns", "Ask the resolver a question (live, snapshot or recording)."),
    "reports": ("mailwarden.cli.reports_cmd", "reports", "Read DMARC aggregate/failure and SMTP-TLS reports."),
    "web": ("mailwarden.cli.web_cmd", "web", "Serve the diagnosis, audit and reports pages in a browser."),
    "filter": ("mailwarden.cli.filter_cmd", "filter_command",
               "Milter for Postfix/Sendmail: stamp results, enforce DMARC, stop self-spoofing and backscatter."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _, _) in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        module = importlib.import_module(entry[0])
        return getattr(module, entry[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except ImportError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="mailwarden")
def cli() -> None:
    """mailwarden: spam that seems to come from your own address, answered with evidence.

    Commands that look up DNS accept --json (one JSON object on stdout), --dns
    FILE (answer DNS from a snapshot), --nameserver HOST[:PORT], --dns-record
    FILE and --now UNIXTIME (see each command's --help). FILE - reads standard
    input. Start with `mailwarden diagnose MESSAGE --me you@example.com`.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps exceptions to exit statuses."""
    from mailwarden.errors import DNSUnavailableError, InputError

    try:
        rv = cli.main(args=argv, prog_name="mailwarden", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("mailwarden: aborted", err=True)
        sys.exit(130)
    except click.MissingParameter as exc:
        if exc.param is not None and exc.param.name == "file":
            exc = click.UsageError("missing FILE: pass a file, or - for standard input", ctx=exc.ctx)
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DNSUnavailableError as exc:
        click.echo(f"mailwarden: cannot conclude: {_one_line(str(exc))}", err=True)
        sys.exit(3)
    except InputError as exc:
        click.echo(f"mailwarden: error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the only place a fault turns into exit status 1
        if os.environ.get("MAILWARDEN_DEBUG"):
            raise
        click.echo(f"mailwarden: internal error: {type(exc).__name__}: {_one_line(str(exc))}", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


if __name__ == "__main__":
    main()
