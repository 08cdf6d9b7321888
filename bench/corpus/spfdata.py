"""SPF policies and (IP, sender) queries shaped like real-world ones (RFC 7208).

Every sender domain publishes
``v=spf1 ip4:OWN/28 ip6:OWN/48 mx include:<3 providers> ~all``; the three
providers are modelled on the big senders: a Google-like provider whose record
only includes three netblock records (ip4 and ip6), a Mailchimp-like flat list
of ip4 ranges, and an Outlook-like provider including two records.  A full
evaluation of a non-matching IP costs 9 DNS-querying terms (limit 10).
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass

PROVIDER_A = "_spf.mailgrid.example"
PROVIDER_B = "spf.sendfast.example"
PROVIDER_C = "spf.protection.cloudpost.example"


@dataclass(frozen=True)
class SPFWorld:
    """The TXT/MX/A records of the SPF world and the networks each class of query draws from."""

    records: dict[str, dict[str, list[str]]]
    pools: dict[str, list[str]]  # query class -> networks whose addresses pass
    domains: list[str]


def _v4_blocks(rng: random.Random, first_octet: int, count: int, prefix: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        net = ipaddress.ip_network(f"{first_octet}.{rng.randrange(256)}.{rng.randrange(256)}.0/{prefix}",
                                   strict=False)
        seen.add(str(net))
    return sorted(seen)


def _v6_blocks(rng: random.Random, head: int, count: int, prefix: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        net = ipaddress.ip_network(f"2001:{head:x}:{rng.randrange(65536):x}::/{prefix}", strict=False)
        seen.add(str(net))
    return sorted(seen)


def _spf(terms: list[str], all_: str) -> str:
    return " ".join(["v=spf1", *terms, all_])


def build_world(domains: list[str], seed: str) -> SPFWorld:
    rng = random.Random(f"{seed}:spf")
    records: dict[str, dict[str, list[str]]] = {}

    def txt(name: str, value: str) -> None:
        records.setdefault(name, {}).setdefault("TXT", []).append(value)

    a1, a2, a3 = (_v4_blocks(rng, 35, 12, 20), _v6_blocks(rng, 0x4860, 8, 36), _v4_blocks(rng, 66, 10, 19))
    txt(PROVIDER_A, _spf(["include:_netblocks.mailgrid.example", "include:_netblocks2.mailgrid.example",
                          "include:_netblocks3.mailgrid.example"], "~all"))
    txt("_netblocks.mailgrid.example", _spf([f"ip4:{n}" for n in a1], "~all"))
    txt("_netblocks2.mailgrid.example", _spf([f"ip6:{n}" for n in a2], "~all"))
    txt("_netblocks3.mailgrid.example", _spf([f"ip4:{n}" for n in a3], "~all"))
    b = _v4_blocks(rng, 198, 14, 22)
    txt(PROVIDER_B, _spf([f"ip4:{n}" for n in b], "-all"))
    c1, c1v6, c2 = _v4_blocks(rng, 40, 9, 18), _v6_blocks(rng, 0x2A01, 4, 40), _v4_blocks(rng, 52, 8, 16)
    txt(PROVIDER_C, _spf(["include:spfa.protection.cloudpost.example",
                          "include:spfb.protection.cloudpost.example"], "-all"))
    txt("spfa.protection.cloudpost.example", _spf([f"ip4:{n}" for n in c1] + [f"ip6:{n}" for n in c1v6], "-all"))
    txt("spfb.protection.cloudpost.example", _spf([f"ip4:{n}" for n in c2], "-all"))

    own4: list[str] = []
    own6: list[str] = []
    mx_hosts: list[str] = []
    for i, domain in enumerate(domains):
        net4 = f"203.{i // 16}.{(i % 16) * 16}.0/28"
        net6 = f"2001:db8:{i:x}::/48"
        own4.append(net4)
        own6.append(net6)
        txt(domain, _spf([f"ip4:{net4}", f"ip6:{net6}", "mx", f"include:{PROVIDER_A}", f"include:{PROVIDER_B}",
                          f"include:{PROVIDER_C}"], "~all"))
        txt(domain, "google-site-verification=" + "".join(rng.choice("abcdefghij0123456789") for _ in range(43)))
        records[domain]["MX"] = [f"10 mx1.{domain}", f"20 mx2.{domain}"]
        for n, host in enumerate(("mx1", "mx2")):
            address = f"192.0.{i % 250}.{10 + n}"
            records[f"{host}.{domain}"] = {"A": [address]}
            mx_hosts.append(f"{address}/32")
    pools = {
        "provider-a-v4": a1 + a3, "provider-a-v6": a2, "provider-b": b, "provider-c": c1 + c2,
        "provider-c-v6": c1v6, "own-v4": own4, "own-v6": own6, "mx": mx_hosts,
    }
    return SPFWorld(records, pools, domains)


#: (class, weight): where the connecting IP of a query comes from.
QUERY_MIX = (
    ("provider-a-v4", 25), ("provider-a-v6", 8), ("provider-b", 17), ("provider-c", 15), ("provider-c-v6", 3),
    ("own-v4", 8), ("own-v6", 2), ("mx", 4), ("unauthorized-v4", 14), ("unauthorized-v6", 4),
)


def random_address(rng: random.Random, network: str) -> str:
    net = ipaddress.ip_network(network)
    return str(net.network_address + rng.randrange(net.num_addresses))


#: Query classes whose networks belong to the sender domain itself (one entry per domain).
PER_DOMAIN = {"own-v4": 1, "own-v6": 1, "mx": 2}


def pick_ip(rng: random.Random, world: SPFWorld, cls: str, domain_index: int) -> str:
    """An address of class ``cls`` for the sender domain number ``domain_index``."""
    if cls in PER_DOMAIN:
        per = PER_DOMAIN[cls]
        pool = world.pools[cls][domain_index * per:(domain_index + 1) * per]
        return random_address(rng, rng.choice(pool))
    if cls == "unauthorized-v4":
        return f"{rng.choice((81, 91, 185, 212))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if cls == "unauthorized-v6":
        return f"2a02:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    return random_address(rng, rng.choice(world.pools[cls]))


def make_queries(world: SPFWorld, count: int, seed: str) -> list[dict[str, str]]:
    """``count`` (ip, mail_from, helo, class) queries; the same seed gives the same list."""
    rng = random.Random(f"{seed}:queries")
    classes = [c for c, _ in QUERY_MIX]
    weights = [w for _, w in QUERY_MIX]
    out = []
    for n in range(count):
        cls = rng.choices(classes, weights)[0]
        d = rng.randrange(len(world.domains))
        domain = world.domains[d]
        out.append({"ip": pick_ip(rng, world, cls, d), "mail_from": f"bounce-{n % 97}@{domain}",
                    "helo": f"out-{rng.randrange(1, 40)}.{domain}", "class": cls})
    return out


def expected_result(cls: str) -> str:
    """The result every correct implementation gives for a query of this class."""
    return "softfail" if cls.startswith("unauthorized") else "pass"
