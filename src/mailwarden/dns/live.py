"""Live DNS through dnspython's asynchronous resolver.

* ``nameserver``: ``HOST`` or ``HOST:PORT`` (``[V6]:PORT`` for IPv6); default:
  the system configuration (``/etc/resolv.conf``).
* ``timeout``: seconds allowed for one question (retries included).
* ``deadline``: seconds allowed for all questions of this resolver together;
  once spent, further questions answer TIMEOUT at once, so a hostile policy
  cannot keep a check busy.
* A cache shared by every question honours the records' TTL (negative answers
  for at most :data:`NEGATIVE_TTL_CAP` seconds, RFC 2308); concurrent identical
  questions share one query.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable

from mailwarden.dns.base import MX, Answer, Rcode, Record, check_type, normalize_name, valid_query_name
from mailwarden.errors import DNSConfigError

DEFAULT_TIMEOUT = 5.0
DEFAULT_DEADLINE = 30.0
NEGATIVE_TTL_CAP = 300
DEFAULT_NEGATIVE_TTL = 60
MAX_CACHE_ENTRIES = 50_000


def parse_nameserver(value: str) -> tuple[str, int]:
    """``"127.0.0.1:5353"`` -> ``("127.0.0.1", 5353)``; port 53 by default."""
    text = value.strip()
    host, port = text, 53
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise DNSConfigError(f"invalid --nameserver {value!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise DNSConfigError(f"invalid --nameserver {value!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise DNSConfigError(f"invalid port in --nameserver {value!r}")
        port = int(port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise DNSConfigError(f"--nameserver needs an IP address, got {host!r}") from None
    if not 0 < port < 65536:
        raise DNSConfigError(f"invalid port in --nameserver {value!r}")
    return host, port


class LiveResolver:
    """:class:`~mailwarden.dns.base.Resolver` over the network, with a TTL cache."""

    def __init__(
        self,
        nameserver: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import dns.asyncresolver  # lazy: keeps CLI start-up fast

        if nameserver:
            host, port = parse_nameserver(nameserver)
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [host]
            resolver.port = port
        else:
            try:
                resolver = dns.asyncresolver.Resolver()
            except Exception as exc:  # no resolv.conf, etc.
                raise DNSConfigError(f"no usable system DNS configuration ({exc}); use --nameserver") from None
        resolver.timeout = timeout
        resolver.lifetime = timeout
        resolver.cache = None
        self._resolver = resolver
        self._timeout = timeout
        self._clock = clock
        self._deadline_at = None if deadline is None else clock() + deadline
        self._cache: dict[tuple[str, str], tuple[float, Answer]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        self.queries_sent = 0

    def restart_deadline(self, deadline: float | None = DEFAULT_DEADLINE) -> None:
        """Start a new overall deadline (one per message of a file that holds several)."""
        self._deadline_at = None if deadline is None else self._clock() + deadline

    def _remaining(self) -> float:
        if self._deadline_at is None:
            return self._timeout
        return min(self._timeout, self._deadline_at - self._clock())

    async def query(self, name: str, rdtype: str) -> Answer:
        rdtype = check_type(rdtype)
        qname = normalize_name(name)
        if not valid_query_name(qname):
            return Answer(qname, rdtype, Rcode.NXDOMAIN)
        key = (qname, rdtype)
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > self._clock():
                return cached[1]
            del self._cache[key]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await self._ask(qname, rdtype)
            future.set_result(answer)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        finally:
            del self._inflight[key]
        if not answer.failed and answer.ttl > 0:
            if len(self._cache) >= MAX_CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = (self._clock() + answer.ttl, answer)
        return answer

    async def _ask(self, qname: str, rdtype: str) -> Answer:
        import dns.exception
        import dns.resolver

        budget = self._remaining()
        if budget <= 0:
            return Answer(qname, rdtype, Rcode.TIMEOUT)
        self.queries_sent += 1
        try:
            result = await self._resolver.resolve(
                qname + ".", rdtype, search=False, raise_on_no_answer=False, lifetime=budget
            )
        except dns.resolver.NXDOMAIN as exc:
            return Answer(qname, rdtype, Rcode.NXDOMAIN, ttl=_negative_ttl(exc), cname_chain=_nx_chain(exc))
        except (dns.resolver.LifetimeTimeout, dns.exception.Timeout):
            return Answer(qname, rdtype, Rcode.TIMEOUT)
        except dns.resolver.NoNameservers:
            return Answer(qname, rdtype, Rcode.SERVFAIL)
        except (dns.resolver.NoAnswer, dns.resolver.YXDOMAIN, dns.exception.DNSException):
            return Answer(qname, rdtype, Rcode.SERVFAIL)
        chain = () if rdtype == "CNAME" else _cname_chain(result.response, qname)
        records: list[Record] = []
        ttl = DEFAULT_NEGATIVE_TTL
        if result.rrset is not None:
            ttl = result.rrset.ttl
            for rdata in result.rrset:
                records.append(_record(rdtype, rdata))
        else:
            ttl = min(max(int(result.expiration - time.time()), 0), NEGATIVE_TTL_CAP)
        return Answer(qname, rdtype, Rcode.NOERROR, tuple(records), ttl, chain)

    async def aclose(self) -> None:
        return None


def _record(rdtype: str, rdata) -> Record:
    if rdtype == "TXT":
        return tuple(s.decode("utf-8", "replace") for s in rdata.strings)
    if rdtype == "MX":
        return MX(int(rdata.preference), normalize_name(rdata.exchange.to_text()) if len(rdata.exchange) > 1 else "")
    if rdtype in ("PTR", "CNAME", "NS"):
        return normalize_name(rdata.target.to_text())
    return rdata.to_text()


def _cname_chain(response, qname: str) -> tuple[tuple[str, str], ...]:
    import dns.rdatatype

    chain = []
    current = qname
    aliases = {}
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            aliases[normalize_name(rrset.name.to_text())] = normalize_name(rrset[0].target.to_text())
    while current in aliases and len(chain) < 16:
        chain.append((current, aliases[current]))
        current = aliases[current]
    return tuple(chain)


def _nx_chain(exc) -> tuple[tuple[str, str], ...]:
    try:
        responses = exc.responses()
    except Exception:
        return ()
    for qn, response in responses.items():
        return _cname_chain(response, normalize_name(qn.to_text()))
    return ()


def _negative_ttl(exc) -> int:
    try:
        for response in exc.responses().values():
            for rrset in response.authority:
                if rrset.rdtype == 6:  # SOA: RFC 2308 section 5
                    return min(rrset.ttl, rrset[0].minimum, NEGATIVE_TTL_CAP)
    except Exception:
        pass
    return DEFAULT_NEGATIVE_TTL
