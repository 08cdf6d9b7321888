"""The plain words a diagnosis is shown with (SPEC section 6: answer first, for a non-expert).

Shared by every front end that renders a :class:`~mailwarden.diagnose.results.Diagnosis`
(the CLI's human output and the web page), so both say the same thing.
"""

from __future__ import annotations

#: The verdict as one line a worried person reads first.
HEADLINES = {
    "spoofed": "FORGED - your account was not used",
    "authentic": "REALLY SENT - through an authorized server",
    "forwarded": "FORWARDED - a genuine message passed on by a forwarder or list",
    "backscatter": "BACKSCATTER - a bounce about mail you did not send",
    "bounce": "REAL BOUNCE - about mail you did send",
    "lookalike": "LOOK-ALIKE - imitates your address, not sent from your domain",
    "unrelated": "UNRELATED - does not claim to come from you",
    "inconclusive": "CANNOT TELL YET - not enough evidence",
}

#: The headline when the confidence is not high: never phrased as a certainty.
UNSURE_HEADLINES = {
    "spoofed": "PROBABLY FORGED - your account was most likely not used",
    "authentic": "PROBABLY REALLY SENT - most likely through an authorized server",
    "forwarded": "PROBABLY FORWARDED - check that you know the forwarder or list",
    "backscatter": "PROBABLY BACKSCATTER - most likely a bounce about mail you did not send",
    "bounce": "PROBABLY A REAL BOUNCE - most likely about mail you did send",
    "lookalike": "PROBABLY A LOOK-ALIKE - imitates your address, not sent from your domain",
    "unrelated": "PROBABLY UNRELATED - does not seem to claim to come from you",
}


def headline(verdict: str, confidence: str) -> str:
    """The first line: the answer, worded as surely as the evidence allows."""
    if confidence == "high" or verdict not in UNSURE_HEADLINES:
        return HEADLINES[verdict]
    return UNSURE_HEADLINES[verdict]

#: Plain labels for the evidence checks in the human output.
LABELS = {
    "from": "Sender", "boundary": "Arrival at your provider", "authentication-results": "Your provider's check",
    "spf": "SPF", "spf-owner": "SPF for your domain", "dkim": "DKIM signature", "dmarc": "DMARC", "arc": "ARC",
    "submission": "Login", "sender": "Sender service", "forwarding": "Forwarding", "lookalike": "Look-alike",
    "notification": "Notification", "original": "Returned message", "original-spf": "Returned message SPF",
    "original-dkim": "Returned message DKIM", "original-trace": "Returned message route",
    "allowlist": "Allowlist", "crosscheck-spf": "Re-check vs provider", "crosscheck-dkim": "Re-check vs provider",
    "crosscheck-dmarc": "Re-check vs provider", "crosscheck-arc": "Re-check vs provider",
    "arc-sealer": "Who vouched for it", "dns": "DNS",
}


#: Jargon the evidence may use, explained once in plain words at the end of the human output.
GLOSSARY = (
    ("HELO", "HELO: the name the sending server gave itself; it can write anything there."),
    ("envelope sender", "envelope sender: the hidden return address bounces go to; it can differ from the "
                        "From you see."),
    ("SPF", "SPF: the list of servers a domain allows to send its mail."),
    ("DKIM", "DKIM: a digital signature a domain puts on the mail it sends."),
    ("DMARC", "DMARC: the domain's instruction to receivers about mail that fails SPF and DKIM."),
    ("ARC", "ARC: a seal a forwarder or mailing list adds to record the checks it saw before passing the "
            "message on."),
    ("aligned", "aligned: the check was for the same domain as the From address, so it vouches for that From."),
    ("authserv-id", "authserv-id: the name your provider signs its check results with."),
    ("SRS", "SRS: a rewritten return address that forwarders use so that SPF still works."),
)


def glossary(text: str) -> list[str]:
    """The explanations of the jargon that occurs in ``text``, in a fixed order."""
    import re

    return [line for term, line in GLOSSARY if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text)]
