"""The staged DMARC roll-out plan: p=none with rua -> quarantine -> reject.

RFC 9989 section 7 (and RFC 7489 section 6.7's policy ladder): start by
monitoring with aggregate reports, make sure every legitimate source passes
SPF or DKIM *aligned* with the From domain, then ask receivers to quarantine,
then to reject.  The plan is tailored: blockers found by the audit come first,
the sources named in SPF are the checklist for stage 1, and the current stage
is marked.
"""

from __future__ import annotations

from mailwarden.audit.results import CRITICAL, AuthorizedSender, Finding

STAGES = ("monitor", "quarantine", "reject")


def current_stage(policy: str | None) -> str:
    """The stage the domain is in (its record is the one to publish now): missing/none -> monitor."""
    if policy == "reject":
        return "reject"
    if policy == "quarantine":
        return "quarantine"
    return "monitor"


def plan(domain: str, *, findings: list[Finding], senders: tuple[AuthorizedSender, ...], policy: str | None,
         stage: str, dkim_usable: bool, no_mail: bool) -> tuple[str, ...]:
    """The roll-out plan as ordered, self-contained steps."""
    if no_mail:
        return (
            f"{domain} sends no mail: publish the SPF, DMARC, null MX and DKIM records below now; no staging is needed.",
            "Afterwards, any mail claiming the domain is rejected by receivers that check DMARC; "
            "if a forgotten service turns out to send as the domain, give it a subdomain of its own.",
        )
    steps: list[str] = []
    blockers = [f for f in findings if f.severity == CRITICAL and f.area in ("spf", "dkim", "dmarc")]
    if blockers:
        steps.append("First fix what breaks authentication today (the to-do list says how): "
                     + ", ".join(f.id for f in blockers[:4]) + ".")
    names = sorted({s.provider for s in senders if s.provider})
    others = [s.mechanism for s in senders if not s.provider]
    sources = ", ".join(names + others[:4]) or "every server and service that sends as the domain"
    here = {s: (" <- you are here" if s == stage else "") for s in STAGES}
    # Stages already passed are not shown: a domain at p=reject is never told to start with p=none.
    reached = STAGES.index(stage) if stage in STAGES else 0
    if reached == 0:
        steps.append(
            f"Stage 1, monitor: publish p=none with rua= and read the aggregate reports for 2-4 weeks. "
            f"Every legitimate source must pass SPF or DKIM aligned with {domain}: {sources}. "
            "Add missing senders to SPF and turn on DKIM signing at each of them." + here["monitor"])
    if not dkim_usable:
        steps.append(("Before leaving stage 1: sign" if reached == 0 else "Sign")
                     + " with DKIM (2048-bit key) at every sender; mail that is forwarded "
                     "or sent through lists passes DMARC only through DKIM.")
    if reached <= 1:
        steps.append(
            "Stage 2, quarantine: p=quarantine once the reports show only forged or unknown sources failing. "
            "Watch 2 weeks for real mail landing in spam (forwarders, mailing lists, forgotten tools)."
            + here["quarantine"])
    steps.append(
        "Stage 3, reject: p=reject (and sp=reject for subdomains) when quarantine causes no complaints; "
        "forged mail claiming the domain is then refused." + here["reject"])
    steps.append("Afterwards: keep reading the reports monthly, rotate DKIM keys yearly, and re-run this audit "
                 "after adding any new mail service.")
    return tuple(steps)
