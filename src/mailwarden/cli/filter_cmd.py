"""``mailwarden filter --listen inet:HOST:PORT|unix:PATH [--config FILE]`` (SPEC section 14): the milter."""

from __future__ import annotations

import sys

import click


@click.command(name="filter")
@click.option("--listen", required=True, metavar="inet:HOST:PORT|unix:PATH",
              help="Where the MTA connects (Postfix: smtpd_milters = inet:HOST:PORT or unix:PATH).")
@click.option("--config", "config_path", metavar="FILE", help="TOML configuration (see docs/filter.md); re-read on SIGHUP.")
@click.option("--authserv-id", metavar="ID", help="authserv-id of the Authentication-Results we add and replace.")
@click.option("--local-domain", "local_domains", multiple=True, metavar="DOMAIN",
              help="A domain we receive mail for (repeatable): the self-spoof and backscatter guards protect it.")
@click.option("--trusted-network", "trusted_networks", multiple=True, metavar="CIDR",
              help="Our own relays and users (repeatable): their mail is stamped, not judged.")
@click.option("--dns", "dns_file", metavar="FILE", help="Answer DNS from a snapshot file (tests, replay).")
@click.option("--nameserver", metavar="HOST[:PORT]", help="Live DNS through this server.")
@click.option("--on-error", type=click.Choice(["tempfail", "accept"]),
              help="Answer when a message cannot be checked (internal error, DNS timeout). Default tempfail.")
@click.option("--timeout", type=float, metavar="SECONDS", help="Time limit per message (default 10).")
@click.option("--prometheus", "prometheus_listen", metavar="LOOPBACK-IP:PORT",
              help="Serve the counters in Prometheus text format on this loopback address.")
@click.option("--stats-interval", type=float, metavar="SECONDS", help="Log a stats line every SECONDS.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
def filter_command(listen: str, config_path: str | None, authserv_id: str | None, local_domains: tuple[str, ...],
                   trusted_networks: tuple[str, ...], dns_file: str | None, nameserver: str | None,
                   on_error: str | None, timeout: float | None, prometheus_listen: str | None,
                   stats_interval: float | None, log_level: str) -> None:
    """Run the mail filter (a milter for Postfix or Sendmail) until SIGTERM.

    For each message: SPF, DKIM, ARC and DMARC; forged Authentication-Results
    claiming our authserv-id removed and ours added; DMARC policy enforced (with
    trusted forwarders and ARC sealers as overrides); mail claiming a local
    domain without authentication refused even under p=none; backscatter
    refused. SIGHUP re-reads the configuration.
    """
    import logging

    from mailwarden.filter.config import load_config
    from mailwarden.filter.runner import libmilter_socket, run_filter

    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s mailwarden-filter[%(process)d] %(levelname)s %(message)s")
    libmilter_socket(listen)  # a bad --listen is a usage error before anything starts
    overrides = {
        "authserv_id": authserv_id,
        "local_domains": list(local_domains) or None,
        "trusted_networks": list(trusted_networks) or None,
        "dns.snapshot": dns_file,
        "dns.nameserver": nameserver,
        "on_error": on_error,
        "timeout": timeout,
        "monitoring.prometheus_listen": prometheus_listen,
        "monitoring.stats_interval": stats_interval,
    }
    if authserv_id is None and config_path is None:
        import socket

        overrides["authserv_id"] = socket.getfqdn() or "localhost"

    def load():
        return load_config(config_path, overrides)

    load()  # refuse a bad configuration at start-up (exit 2)
    sys.exit(run_filter(listen, load))



