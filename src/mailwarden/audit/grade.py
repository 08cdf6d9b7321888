"""The A-F grade of an audit, derived from the findings and explained.

Start at 100; every critical finding costs 25 points, every warning 8, info
nothing.  Then two caps express what matters most for forgery: without an
enforcing DMARC policy (RFC 7489 section 6.3 / RFC 9989 ``p=quarantine`` or
``reject``) receivers deliver forged mail anyway, so the grade is at most C;
when neither SPF nor DKIM can pass for the domain, DMARC cannot pass either,
so the grade is at most D.

A >= 90, B >= 75, C >= 60, D >= 40, F below.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailwarden.audit.results import CRITICAL, WARNING, Finding

PENALTY = {CRITICAL: 25, WARNING: 8}
BANDS = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))
ORDER = "ABCDF"

#: Findings that mean "DMARC is not enforced": forged mail is still delivered.
NOT_ENFORCING = frozenset({"dmarc-missing", "dmarc-multiple", "dmarc-syntax", "dmarc-p-none", "dmarc-temperror"})
SPF_BROKEN = frozenset({"spf-missing", "spf-multiple", "spf-syntax", "spf-too-many-lookups", "spf-void-lookups",
                        "spf-include-loop", "spf-include-broken"})


def grade(findings: Iterable[Finding], *, dkim_usable: bool) -> tuple[str, str]:
    """(letter, one-sentence explanation)."""
    findings = list(findings)
    crit = sum(1 for f in findings if f.severity == CRITICAL)
    warn = sum(1 for f in findings if f.severity == WARNING)
    score = max(0, 100 - sum(PENALTY.get(f.severity, 0) for f in findings))
    letter = next((g for floor, g in BANDS if score >= floor), "F")
    ids = {f.id for f in findings}
    caps = []
    if ids & NOT_ENFORCING:
        letter = _at_most(letter, "C")
        caps.append("DMARC does not yet tell receivers to reject forged mail")
    if (ids & SPF_BROKEN) and not dkim_usable:
        letter = _at_most(letter, "D")
        caps.append("neither SPF nor DKIM can pass for the domain")
    if not findings:
        return "A", "No problems found: forged mail claiming this domain is rejected by receivers that check DMARC."
    parts = []
    if crit:
        parts.append(f"{crit} critical problem{'s' if crit != 1 else ''}")
    if warn:
        parts.append(f"{warn} warning{'s' if warn != 1 else ''}")
    why = f"{letter}: score {score}/100 from " + (" and ".join(parts) if parts else "informational notes only")
    if caps:
        why += "; capped because " + " and ".join(caps)
    return letter, why + "."


def _at_most(letter: str, cap: str) -> str:
    return letter if ORDER.index(letter) >= ORDER.index(cap) else cap
