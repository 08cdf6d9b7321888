"""What run.py measures: workloads, contenders, interpreters, subsets, ratios and targets.

Kept apart from run.py so the plan can be read (and tested) without running anything.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Interpreter families: "product" = the Python mailwarden is installed in,
#: "venv" = bench/.venv (reference tools), "node" = bench/node_modules (mailauth).
PRODUCT, VENV, NODE = "product", "venv", "node"


@dataclass(frozen=True)
class Contender:
    workload: str  # module in bench/workloads (or the node runner's workload name)
    tool: str
    runtime: str  # PRODUCT | VENV | NODE
    label: str
    #: Items measured per profile when the whole set would take too long (None = all).
    limit_quick: int | None = None
    limit_full: int | None = None
    #: Worker module in bench/workloads when it is not named like the workload.
    module: str | None = None

    def limit(self, profile: str) -> int | None:
        return self.limit_quick if profile == "quick" else self.limit_full


CONTENDERS = (
    Contender("dkim", "mailwarden", PRODUCT, "mailwarden"),
    Contender("dkim", "mailwarden-nocache", PRODUCT, "mailwarden, no key cache"),
    Contender("dkim", "dkimpy", VENV, "dkimpy"),
    Contender("dkim", "mailauth", NODE, "mailauth"),
    Contender("dkim", "floor", PRODUCT, "floor (cryptography + hashlib)"),
    Contender("spf", "mailwarden-cold", PRODUCT, "mailwarden cold"),
    Contender("spf", "mailwarden-warm", PRODUCT, "mailwarden warm"),
    Contender("spf", "pyspf", VENV, "pyspf"),
    Contender("spf", "mailauth", NODE, "mailauth"),
    Contender("full", "mailwarden", PRODUCT, "mailwarden authenticate", 200, None),
    Contender("full", "authheaders", VENV, "authheaders", 10, 40),
    Contender("full", "authheaders-psl-memo", VENV, "authheaders, PSL memoized", 200, None),
    Contender("full", "mailauth", NODE, "mailauth authenticate", 200, None),
    Contender("reports", "mailwarden", PRODUCT, "mailwarden.reports", 10_000, None),
    Contender("reports", "parsedmarc", VENV, "parsedmarc (offline)", 10_000, None),
    Contender("reports-samples", "mailwarden-samples", PRODUCT, "mailwarden.reports", module="reports"),
    Contender("reports-samples", "parsedmarc-samples", VENV, "parsedmarc (offline)", module="reports"),
)

WORKLOAD_TITLES = {
    "dkim": "DKIM verify (mixed corpus)",
    "spf": "SPF check_host (IP, sender) queries",
    "full": "Full check: SPF + DKIM + DMARC + Authentication-Results",
    "reports": "DMARC aggregate report parse (generated, 50,000 records)",
    "reports-samples": "DMARC aggregate report parse (shared sample set: xml, gz, zip, e-mail)",
}


@dataclass(frozen=True)
class Target:
    """``numerator`` ÷ ``denominator`` (tools of one workload) must reach ``minimum``."""

    name: str
    workload: str
    numerator: str
    denominator: str
    minimum: float


TARGETS = (
    Target("DKIM verify vs dkimpy", "dkim", "mailwarden", "dkimpy", 8.0),
    Target("DKIM verify vs mailauth", "dkim", "mailwarden", "mailauth", 4.0),
    Target("SPF cold vs pyspf", "spf", "mailwarden-cold", "pyspf", 5.0),
    Target("SPF warm vs pyspf", "spf", "mailwarden-warm", "pyspf", 20.0),
    Target("Full check vs authheaders", "full", "mailwarden", "authheaders", 8.0),
    Target("Reports parse vs parsedmarc", "reports", "mailwarden", "parsedmarc", 8.0),
)

#: Informational ratios printed next to the targets (no threshold).
EXTRA_RATIOS = (
    ("DKIM verify: fraction of the floor", "dkim", "mailwarden", "floor"),
    ("DKIM verify without key cache vs dkimpy", "dkim", "mailwarden-nocache", "dkimpy"),
    ("SPF cold vs mailauth", "spf", "mailwarden-cold", "mailauth"),
    ("SPF warm vs mailauth", "spf", "mailwarden-warm", "mailauth"),
    ("Full check vs authheaders with memoized PSL", "full", "mailwarden", "authheaders-psl-memo"),
    ("Full check vs mailauth authenticate", "full", "mailwarden", "mailauth"),
    ("Reports: sample set vs parsedmarc", "reports-samples", "mailwarden-samples", "parsedmarc-samples"),
)

#: Informational ratios of CPU-time rates (workers that report ``cpu_seconds``): steadier than wall
#: time on a shared VM, printed next to the wall-time targets.
CPU_RATIOS = (
    ("Reports parse vs parsedmarc, CPU time", "reports", "mailwarden", "parsedmarc"),
    ("Reports: sample set vs parsedmarc, CPU time", "reports-samples", "mailwarden-samples", "parsedmarc-samples"),
)

#: ``mailwarden --help`` must finish within this many seconds of wall time.
HELP_MAX_SECONDS = 0.3

#: Peak RSS (MB) of mailwarden parsing one 500,000-record aggregate report (records streamed).
REPORTS_MEMORY_RECORDS = 500_000
REPORTS_MEMORY_MAX_MB = 100.0
