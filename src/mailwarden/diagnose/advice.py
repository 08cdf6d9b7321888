"""What to do, fitted to the verdict and to the domain's posture.

The posture is the owner's DMARC record (RFC 9989 section 4.7: ``p=none`` asks
receivers to deliver forgeries anyway), SPF's ``all`` qualifier (RFC 7208
section 5.1) and allowlist entries that let forged mail skip filtering.
Advice is plain text, most important first; the DMARC record to publish is
given literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.diagnose.verdict import Decision, Facts

_RUA = re.compile(r"\brua\s*=\s*([^;]+)", re.I)


@dataclass(frozen=True)
class Posture:
    """The owner's published policy as found during the diagnosis (None: unknown or absent)."""

    domain: str | None
    dmarc_record: str | None = None
    dmarc_policy: str | None = None  # none | quarantine | reject | None when there is no record
    dmarc_known: bool = False  # the DMARC lookup answered (record or no record)
    spf_all: str | None = None  # "-all", "~all", "?all", "+all" or None
    allowlisted: tuple[str, ...] = ()  # allowlist entries covering the owner (line: entry)


def recommended_dmarc(posture: Posture, policy: str = "quarantine") -> str:
    """The DMARC record to move to, keeping the domain's report address when it has one."""
    domain = posture.domain or "example.com"
    rua = None
    if posture.dmarc_record:
        m = _RUA.search(posture.dmarc_record)
        rua = m.group(1).strip() if m else None
    rua = rua or f"mailto:dmarc-reports@{domain}"
    return f"_dmarc.{domain} TXT \"v=DMARC1; p={policy}; rua={rua}\""


def _posture_advice(p: Posture) -> list[str]:
    tips: list[str] = []
    if not p.domain or not p.dmarc_known:
        return tips
    if p.dmarc_policy is None:
        tips.append(f"{p.domain} publishes no DMARC record, so receivers have no instruction to reject forgeries. "
                    f"Publish one (start with reports, then enforce): {recommended_dmarc(p, 'none')} - then, once "
                    f"the reports show only your own servers, {recommended_dmarc(p)}.")
    elif p.dmarc_policy == "none":
        tips.append(f"{p.domain} has DMARC p=none, which tells receivers NOT to block mail that fails "
                    f"authentication - forgeries like this one are delivered. Once your DMARC reports show that "
                    f"all your real mail passes, move to: {recommended_dmarc(p)} (and later p=reject).")
    elif p.dmarc_policy == "quarantine":
        tips.append(f"{p.domain} has DMARC p=quarantine: forgeries should land in spam. When your reports are "
                    f"clean, p=reject makes receivers refuse them outright.")
    if p.spf_all in ("?all", "+all"):
        tips.append(f"The SPF record of {p.domain} ends in {p.spf_all}, which authorizes (or says nothing about) "
                    f"every server; end it with -all or ~all.")
    return tips


def _allowlist_advice(p: Posture) -> list[str]:
    if not p.allowlisted:
        return []
    entries = ", ".join(p.allowlisted[:3])
    return [f"Allowlist trap: your own address or domain is on your spam filter's allowlist ({entries}). "
            f"Forged mail 'from you' skips spam filtering because of it. Remove the entry, or allowlist only "
            f"authenticated mail (e.g. SpamAssassin welcomelist_auth instead of welcomelist_from)."]


def advise(d: Decision, f: Facts, posture: Posture) -> tuple[str, ...]:
    """Advice for the verdict, then posture, then the allowlist trap."""
    tips: list[str] = []
    v = d.verdict
    if v == "spoofed":
        if d.confidence == "high":
            tips.append("Your password is not the problem: the message did not pass through your account. Do "
                        "not reply, do not pay or click anything in it; mark it as spam or phishing.")
        else:
            tips.append("Do not reply, do not pay or click anything in it; mark it as spam or phishing. Nothing "
                        "shows that your account sent it, but the evidence is not complete: if you see other "
                        "signs (messages in Sent you did not write, a login alert), change your password.")
        if posture.dmarc_policy in ("quarantine", "reject"):
            where = ("the allowlist trap below" if posture.allowlisted else
                     "whether your own spam filter allowlists your address: `mailwarden allowlist`")
            tips.append(f"{posture.domain} already asks receivers to {posture.dmarc_policy} such forgeries; "
                        f"this one reached you anyway, so ask your provider why its filter did not apply the "
                        f"DMARC policy (and check {where}).")
            tips.extend(t for t in _posture_advice(posture) if "has DMARC p=quarantine" not in t)
        else:
            tips.extend(_posture_advice(posture))
    elif v == "authentic":
        if d.reason == "dkim-replay-or-forward":
            tips.append("Do not act on this copy: a server your domain does not authorize delivered it. If you "
                        "recognise the message (a newsletter or mail you sent earlier), someone re-sent or "
                        "forwarded it; if you do not, check your Sent items before changing anything.")
            tips.append("Signing with over-signed headers (h= listing From and Subject twice) and without l= "
                        "makes such replays easier to spot; ask whoever signs for your domain.")
        elif d.path == "other-account":
            tips.append("Your password is not the problem: another account at your provider (or in your "
                        "domain) sent this with your address. Report it to your provider or your domain's "
                        "administrator with the full headers, so they can lock that account and stop it from "
                        "sending as you.")
            tips.append("If your domain should not let other accounts send as your address, ask the "
                        "administrator to restrict sender addresses to each account's own.")
        elif d.path == "provider-unknown-account":
            tips.append("Check your account's recent logins and Sent items; if nothing there matches, report "
                        "the message with its full headers to your provider: another of its customers may be "
                        "sending as you.")
            tips.append("Change your password if you see anything you do not recognise, and turn on two-factor "
                        "authentication.")
        elif d.path == "authorized-third-party":
            who = f.third_party or "the service that signs or sends for your domain"
            tips.append(f"Check the account at {who}: who has access, recent sending activity, API keys and "
                        f"SMTP credentials; rotate those credentials if you did not send this.")
            tips.append("If that service should not send as your domain any more, remove it from your SPF "
                        "record and revoke its DKIM key.")
        else:
            tips.extend([
                "Change your mail password now (from a device you trust) and sign out all other sessions.",
                "Revoke app passwords and tokens for mail apps you do not recognise.",
                "Check your forwarding rules, filters and auto-replies for anything you did not set up.",
                "Look through Sent items for other messages you did not write, and warn their recipients.",
                "Turn on two-factor authentication for the account.",
            ])
    elif v == "forwarded" and d.reason == "forwarded-arc":
        sealer = f.arc_sealers[0] if f.arc_sealers else "the forwarder"
        tips.append(f"If you subscribe to {sealer} or forward your mail through it, nothing needs fixing. If you "
                    f"have never heard of {sealer}, treat the message as forged: do not click links or "
                    "answer it.")
    elif v == "forwarded":
        tips.append("Nothing to fix on your side: a forwarder, alias or list passed on a genuine message. If it "
                    "lands in spam, ask the forwarder to keep DKIM intact and to add ARC seals (RFC 8617).")
    elif v == "backscatter":
        tips.append("You can delete it: you did not send the original, and your account was not used. "
                    "Backscatter happens when a server accepts forged mail first and bounces it later instead "
                    "of rejecting it during the SMTP session.")
        tips.append("What stops it: DMARC enforcement (p=quarantine or p=reject) so receivers discard "
                    "forgeries instead of bouncing them, and BATV (signed envelope senders, `mailwarden batv`) "
                    "so your server can refuse bounces for mail it never sent.")
        tips.extend(_posture_advice(posture))
    elif v == "bounce":
        tips.append("The message really left your account; check the recipient address for a typo and resend. "
                    "If you did not send it, treat your account as compromised and change your password.")
    elif v == "lookalike":
        tips.append("Do not click links, open attachments or enter your password: the sender only imitates your "
                    "domain. Report it as phishing.")
        if f.lookalikes:
            domains = sorted({x.address.rpartition('@')[2] for x in f.lookalikes if x.kind != 'display-name'})
            if domains:
                tips.append(f"Warn your users or colleagues about {', '.join(domains)}; consider registering "
                            "obvious look-alikes of your domain or reporting this one to its registrar.")
    elif v == "unrelated" and f.bounce_imitation:
        tips.append("It is dressed up as a bounce but comes from an ordinary sender: this is a common phishing "
                    "trick. Do not click \"release\", \"retry\" or login links in it; delete it or report it as "
                    "phishing.")
    elif v == "unrelated":
        tips.append("This message does not involve your address as sender; handle it as ordinary mail or spam.")
    elif d.reason == "temperror":
        tips.append("Run the same command again in an hour or so: DNS lookups that time out or fail are "
                    "usually temporary. Until then, treat the message with care: do not click links or answer it.")
        tips.append("If it keeps failing, the domain's name servers may be broken; its owner (or your mail "
                    "provider) can check them.")
    else:
        if d.missing:
            tips.append("To decide, we need: " + "; ".join(d.missing) + ".")
        tips.append("Send the full original message (\"show original\" / \"view source\" in your mail program), "
                    "not a forward, and run the diagnosis again.")
    tips.extend(_allowlist_advice(posture))
    return tuple(tips)
