"""The filter's configuration: a TOML file (``--config``) plus command-line overrides.

Every key is optional; the defaults are the safe ones (DMARC enforced, the
self-spoof and backscatter guards rejecting, temporary failure on any error).
A bad file or value is an :class:`~mailwarden.errors.InputError` naming the key,
so ``mailwarden filter`` exits 2 at start-up and a SIGHUP reload keeps the old
configuration.  See ``docs/filter.md`` for an annotated example.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mailwarden.errors import InputError

ACTIONS = ("reject", "quarantine", "none")
ON_ERROR = ("tempfail", "accept")
QUARANTINE_METHODS = ("hold", "header")
DMARC_MODES = ("rfc9989", "rfc7489")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class FilterConfig:
    """What the filter enforces; one immutable value per (re)load."""

    authserv_id: str = "localhost"
    local_domains: tuple[str, ...] = ()
    trusted_networks: tuple[Network, ...] = ()
    on_error: str = "tempfail"
    timeout: float = 10.0
    dmarc_mode: str = "rfc9989"
    #: "hold": the milter quarantine (Postfix hold queue); "header": accept with X-Mailwarden-Quarantine
    quarantine_method: str = "hold"
    max_message_bytes: int = 64 * 1024 * 1024
    dmarc_enforce: bool = True
    trusted_forwarders: tuple[Network, ...] = ()
    trusted_arc_sealers: tuple[str, ...] = ()
    self_spoof_action: str = "reject"
    backscatter_action: str = "reject"
    batv_key_file: str | None = None
    allowlist_files: tuple[str, ...] = ()
    dns_file: str | None = None
    nameserver: str | None = None
    dns_timeout: float = 3.0
    prometheus_listen: str | None = None
    stats_interval: float = 0.0
    source: str | None = field(default=None, compare=False)

    def is_local(self, domain: str | None) -> bool:
        """``domain`` is one of the local domains or a subdomain of one."""
        if not domain:
            return False
        domain = domain.lower().rstrip(".")
        return any(domain == d or domain.endswith("." + d) for d in self.local_domains)

    def in_networks(self, ip: str | None, networks: tuple[Network, ...]) -> bool:
        if not ip or not networks:
            return False
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == n.version and address in n for n in networks)


def _networks(values: Any, key: str) -> tuple[Network, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise InputError(f"filter configuration: {key} must be a list of networks (CIDR)")
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(str(v).strip(), strict=False))
        except ValueError:
            raise InputError(f"filter configuration: {key}: {str(v)[:80]!r} is not an IP network (CIDR)") from None
    return tuple(out)


def _domains(values: Any, key: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise InputError(f"filter configuration: {key} must be a list of domain names")
    out = []
    for v in values:
        d = str(v).strip().lower().rstrip(".").lstrip("@")
        if not d or " " in d or ("." not in d and d != "localhost"):
            raise InputError(f"filter configuration: {key}: {str(v)[:80]!r} is not a domain name")
        out.append(d)
    return tuple(dict.fromkeys(out))


def _choice(value: Any, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise InputError(f"filter configuration: {key} must be one of {', '.join(allowed)}, not {str(value)[:40]!r}")
    return str(value)


def _number(value: Any, key: str, *, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not minimum <= value <= maximum:
        raise InputError(f"filter configuration: {key} must be a number from {minimum} to {maximum}")
    return float(value)


def _authserv_id(value: Any) -> str:
    from mailwarden.authres.build import valid_authserv_id

    text = str(value).strip()
    if not valid_authserv_id(text):
        raise InputError(f"filter configuration: authserv_id {text[:80]!r} is not valid (use a host name)")
    return text


#: TOML key (dotted for tables) -> (FilterConfig field, converter)
_KEYS: dict[str, tuple[str, Any]] = {
    "authserv_id": ("authserv_id", lambda v, k: _authserv_id(v)),
    "local_domains": ("local_domains", _domains),
    "trusted_networks": ("trusted_networks", _networks),
    "on_error": ("on_error", lambda v, k: _choice(v, ON_ERROR, k)),
    "timeout": ("timeout", lambda v, k: _number(v, k, minimum=0.05, maximum=600)),
    "dmarc_mode": ("dmarc_mode", lambda v, k: _choice(v, DMARC_MODES, k)),
    "quarantine_method": ("quarantine_method", lambda v, k: _choice(v, QUARANTINE_METHODS, k)),
    "max_message_bytes": ("max_message_bytes", lambda v, k: int(_number(v, k, minimum=1024, maximum=2**34))),
    "dmarc.enforce": ("dmarc_enforce", lambda v, k: _bool(v, k)),
    "dmarc.trusted_forwarders": ("trusted_forwarders", _networks),
    "dmarc.trusted_arc_sealers": ("trusted_arc_sealers", _domains),
    "self_spoof.action": ("self_spoof_action", lambda v, k: _choice(v, ACTIONS, k)),
    "backscatter.action": ("backscatter_action", lambda v, k: _choice(v, ACTIONS, k)),
    "backscatter.batv_key_file": ("batv_key_file", lambda v, k: _path(v, k)),
    "allowlist.files": ("allowlist_files", lambda v, k: tuple(_path(p, k) for p in _list(v, k))),
    "dns.snapshot": ("dns_file", lambda v, k: _path(v, k)),
    "dns.nameserver": ("nameserver", lambda v, k: str(v)),
    "dns.timeout": ("dns_timeout", lambda v, k: _number(v, k, minimum=0.05, maximum=60)),
    "monitoring.prometheus_listen": ("prometheus_listen", lambda v, k: _loopback_listen(v, k)),
    "monitoring.stats_interval": ("stats_interval", lambda v, k: _number(v, k, minimum=0, maximum=86400)),
}


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"filter configuration: {key} must be true or false")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise InputError(f"filter configuration: {key} must be a list")
    return value


def _path(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"filter configuration: {key} must be a file path")
    return value.strip()


def _loopback_listen(value: Any, key: str) -> str:
    """``HOST:PORT`` on a loopback address: the counters are not for the world."""
    text = str(value).strip()
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        if not ipaddress.ip_address(host).is_loopback or not 0 <= int(port) <= 65535:
            raise ValueError
    except ValueError:
        raise InputError(f"filter configuration: {key} must be LOOPBACK-IP:PORT, not {text[:80]!r}") from None
    return text


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def config_from_mapping(data: dict[str, Any], base: FilterConfig | None = None) -> FilterConfig:
    """Apply a parsed TOML document (or any mapping of the same shape) to ``base``."""
    changes: dict[str, Any] = {}
    for key, value in _flatten(data).items():
        entry = _KEYS.get(key)
        if entry is None:
            raise InputError(f"filter configuration: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
        changes[entry[0]] = entry[1](value, key)
    return replace(base or FilterConfig(), **changes)


def load_config(path: str | None, overrides: dict[str, Any] | None = None) -> FilterConfig:
    """Read ``path`` (TOML), then apply command-line ``overrides`` (same keys as the file)."""
    config = FilterConfig()
    if path is not None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read filter configuration {path}: {exc.strerror or exc}") from None
        if len(raw) > 1024 * 1024:
            raise InputError(f"filter configuration {path} is larger than 1 MiB")
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"filter configuration {path} is not valid TOML: {exc}") from None
        config = config_from_mapping(data, config)
    if overrides:
        config = config_from_mapping({k: v for k, v in overrides.items() if v is not None}, config)
    config = replace(config, source=path)
    if config.dns_file and config.nameserver:
        raise InputError("filter configuration: use either a DNS snapshot or a nameserver, not both")
    return config
