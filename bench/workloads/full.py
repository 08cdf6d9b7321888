"""Full check per message: SPF (RFC 7208) + DKIM (RFC 6376) + DMARC (RFC 7489/9989)
and the Authentication-Results line (RFC 8601): messages/s.

Tools: ``mailwarden`` (``mailwarden.Authenticator.authenticate``, the pipeline behind
``mailwarden check``, ``diagnose`` and the filter; it also evaluates ARC; one new session
per message, so no policy, key or DMARC record is reused between messages, as before the
session cache existed), ``authheaders``
(``authenticate_message(spf=True, dkim=True, dmarc=True)`` with dkimpy's ``dnsfunc``
and pyspf's lookup served from memory), ``authheaders-psl-memo`` (the same with its
``get_org_domain`` memoized: as shipped it rebuilds the Public Suffix List from its
file on every call, four times per message).  mailauth's ``authenticate`` runs in node.
Each outcome is ``spf/dkim/dmarc``; the expected one follows from the corpus.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench.harness import load_messages, measure, rss_kb, worker_main

AUTHSERV_ID = "mx.receiver.example"
_AR_WORD = re.compile(r"(?:^|[;\s])(spf|dkim|dmarc)=(\w+)")


def expected(entries: list[dict[str, Any]]) -> list[str]:
    """SPF and DKIM identities are the From domain, so DMARC passes when either passes."""
    return [f"{e['spf']}/{e['dkim']}/{'pass' if 'pass' in (e['spf'], e['dkim']) else 'fail'}" for e in entries]


def run_mailwarden(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    from bench.workloads._mailwarden import NOW, event_loop, snapshot_resolver
    from mailwarden.auth import Authenticator
    from mailwarden.message import parse_message

    messages, entries = load_messages(data, limit)
    loaded = rss_kb()
    resolver = snapshot_resolver(data)
    loop = event_loop()
    envelopes = [(e["ip"], e["helo"], e["mail_from"]) for e in entries]

    async def one_pass() -> list[str]:
        out = []
        for raw, (ip, helo, mail_from) in zip(messages, envelopes, strict=True):
            auth = Authenticator(resolver, authserv_id=AUTHSERV_ID)
            result = await auth.authenticate(parse_message(raw), ip=ip, helo=helo, mail_from=mail_from, now=NOW)
            dkim = result.dkim[0].result if result.dkim else "none"
            spf = result.spf.result
            out.append(f"{spf}/{dkim}/{result.dmarc.result}")
        resolver.queries.clear()
        return out

    return measure(lambda: loop.run_until_complete(one_pass()), len(messages), runs, expected(entries),
                   "msg/s", loaded)


def run_authheaders(data: Path, runs: int, limit: int | None = None, memo_psl: bool = False) -> dict[str, Any]:
    import functools

    import authheaders
    from authheaders import authenticate_message, dmarc_lookup

    import spf
    from bench.refdns import MemoryDNS

    if memo_psl:
        # authheaders re-reads and rebuilds the whole Public Suffix List on every
        # get_org_domain() call (4 per message); a deployment would memoize it.
        memo = functools.lru_cache(maxsize=4096)(dmarc_lookup.get_org_domain)
        dmarc_lookup.get_org_domain = authheaders.get_org_domain = memo

    messages, entries = load_messages(data, limit)
    loaded = rss_kb()
    dns = MemoryDNS.from_file(data / "dns.json")
    spf.DNSLookup = dns.pyspf_lookup
    dnsfunc = dns.authheaders_dnsfunc

    def one_pass() -> list[str]:
        out = []
        for raw, e in zip(messages, entries, strict=True):
            header = authenticate_message(raw, AUTHSERV_ID, spf=True, dkim=True, dmarc=True, ip=e["ip"],
                                          mail_from=e["mail_from"], helo=e["helo"], dnsfunc=dnsfunc)
            words = dict(_AR_WORD.findall(header))
            out.append(f"{words.get('spf')}/{words.get('dkim')}/{words.get('dmarc')}")
        return out

    return measure(one_pass, len(messages), runs, expected(entries), "msg/s", loaded)


def run_authheaders_memo(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    return run_authheaders(data, runs, limit, memo_psl=True)


TOOLS = {"mailwarden": run_mailwarden, "authheaders": run_authheaders, "authheaders-psl-memo": run_authheaders_memo}

if __name__ == "__main__":
    worker_main(TOOLS)
