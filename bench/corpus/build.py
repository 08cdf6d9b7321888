"""Write the benchmark data set to a directory (cached: rebuilt only when missing).

Files (all tools read the same ones):

* ``messages.bin`` - the messages back to back; ``manifest.json`` gives each one's
  offset, length, envelope (ip, mail_from, helo), algorithm and expected DKIM result;
* ``dns.json`` - every DNS answer, in mailwarden's snapshot format (SPEC section 4);
* ``spf_queries.json`` - the (ip, mail_from, helo) SPF queries with their expected result.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.keys import ed25519_key, rsa_key
from bench.corpus.mail import Envelope, make_message
from bench.corpus.spfdata import build_world, make_queries, pick_ip

FORMAT_VERSION = 1
SEED = "mailwarden-bench-1"


@dataclass(frozen=True)
class Profile:
    """Sizes of one data set."""

    name: str
    messages: int
    queries: int
    domains: int = 40
    rsa_keys: int = 4
    ed25519_keys: int = 2
    large_share: float = 0.10
    ed25519_share: float = 0.25
    tamper_share: float = 0.03


FULL = Profile("full", messages=2000, queries=10_000)
QUICK = Profile("quick", messages=400, queries=2000)
PROFILES = {p.name: p for p in (FULL, QUICK)}


def domain_names(count: int) -> list[str]:
    stems = ("acme", "brightmail", "citybank", "dailynews", "ecoshop", "flyaway", "gamerhub", "healthplus")
    return [f"{stems[i % len(stems)]}{i:02d}.example" for i in range(count)]


def build(profile: Profile, out: Path, seed: str = SEED) -> Path:
    """Generate ``profile`` into ``out`` (created); returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    domains = domain_names(profile.domains)
    world = build_world(domains, seed)
    zone: dict[str, dict[str, list]] = {name: dict(types) for name, types in world.records.items()}
    rsa = [rsa_key(f"{seed}:rsa:{n}") for n in range(profile.rsa_keys)]
    ed = [ed25519_key(f"{seed}:ed:{n}") for n in range(profile.ed25519_keys)]
    for i, domain in enumerate(domains):
        zone.setdefault(f"rsa{i % 3}._domainkey.{domain}", {})["TXT"] = [_split_txt(rsa[i % len(rsa)].txt)]
        zone.setdefault(f"ed{i % 2}._domainkey.{domain}", {})["TXT"] = [ed[i % len(ed)].txt]
        policy = ("reject", "quarantine", "none")[i % 3]
        zone.setdefault(f"_dmarc.{domain}", {})["TXT"] = [
            f"v=DMARC1; p={policy}; rua=mailto:dmarc-reports@{domain}; adkim=r; aspf=r"]

    rng = random.Random(f"{seed}:corpus")
    blob = bytearray()
    entries = []
    for i in range(profile.messages):
        d = rng.randrange(len(domains))
        domain = domains[d]
        use_ed = rng.random() < profile.ed25519_share
        key, selector = (ed[d % len(ed)], f"ed{d % 2}") if use_ed else (rsa[d % len(rsa)], f"rsa{d % 3}")
        authorized = rng.random() < 0.9
        cls = rng.choice(("provider-a-v4", "provider-b", "provider-c", "own-v4")) if authorized else "unauthorized-v4"
        envelope = Envelope(pick_ip(rng, world, cls, d), f"bounces+{i}@{domain}", f"out-{i % 40}.{domain}")
        large = rng.random() < profile.large_share
        tamper = rng.random() < profile.tamper_share
        raw = make_message(i, seed, domain, key, selector, envelope, large, tamper)
        entries.append({"offset": len(blob), "length": len(raw), "ip": envelope.ip, "mail_from": envelope.mail_from,
                        "helo": envelope.helo, "domain": domain, "algorithm": key.algorithm, "large": large,
                        "dkim": "fail" if tamper else "pass",
                        "spf": "pass" if authorized else "softfail"})
        blob += raw
    queries = make_queries(world, profile.queries, seed)
    for q in queries:
        q["expected"] = "softfail" if q["class"].startswith("unauthorized") else "pass"

    (out / "messages.bin").write_bytes(bytes(blob))
    _write_json(out / "dns.json", zone)
    _write_json(out / "spf_queries.json", queries)
    manifest = {"format": FORMAT_VERSION, "seed": seed, "profile": profile.name, "messages": entries,
                "digest": hashlib.sha256(bytes(blob)).hexdigest()}
    _write_json(out / "manifest.json", manifest)
    return out


def _split_txt(text: str) -> list[str]:
    """A long TXT record as 255-byte character-strings, as DNS carries it (RFC 1035 section 3.3.14)."""
    return [text[i:i + 255] for i in range(0, len(text), 255)]


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=None, separators=(",", ":"), sort_keys=True))


def ensure(profile: Profile, root: Path, seed: str = SEED) -> Path:
    """The data directory for ``profile`` under ``root``, generating it when absent or stale."""
    out = root / f"{profile.name}-v{FORMAT_VERSION}"
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            if json.loads(manifest.read_text()).get("seed") == seed:
                return out
        except ValueError:
            pass
    tmp = root / f".{profile.name}-building"
    build(profile, tmp, seed)
    if out.exists():
        for f in out.iterdir():
            f.unlink()
        out.rmdir()
    tmp.rename(out)
    return out
