"""Bounce reason classification with the widely used reason names (SPEC section 8).

The names are the ones popularised by the sisimai project (``userunknown``,
``mailboxfull``, ``hostunknown``, ``filtered``, ...). A reason is decided from
the diagnostic text first (the text says what the receiving system really
meant; the status code is often generic such as 5.0.0, 5.5.0 or 5.7.1), then
from the RFC 3463 enhanced status code (RFC 3463 section 3), then from the
class of the code.
"""

from __future__ import annotations

import re
from functools import cache

from mailwarden.bounces.reason_patterns import included
from mailwarden.bounces.smtpcommand import BEFORE_DATA, failed_command

#: Enhanced status code -> reason (RFC 3463 section 3, RFC 5248 registry).
STATUS_REASONS: dict[str, str] = {
    "2.1.5": "delivered", "2.0.0": "delivered", "2.6.0": "delivered",
    "4.1.6": "hasmoved", "4.1.7": "rejected", "4.1.8": "rejected", "4.1.9": "systemerror",
    "4.2.1": "blocked", "4.2.2": "mailboxfull", "4.2.3": "exceedlimit", "4.2.4": "filtered",
    "4.3.1": "systemfull", "4.3.2": "notaccept", "4.3.3": "systemerror", "4.3.5": "systemerror",
    "4.4.1": "expired", "4.4.2": "networkerror", "4.4.3": "systemerror", "4.4.4": "networkerror",
    "4.4.5": "systemfull", "4.4.6": "networkerror", "4.4.7": "expired", "4.4.8": "networkerror",
    "4.5.3": "systemerror", "4.5.5": "systemerror", "4.6.0": "contenterror", "4.6.2": "contenterror",
    "4.6.5": "contenterror", "4.7.1": "blocked", "4.7.2": "blocked", "4.7.5": "securityerror",
    "4.7.6": "securityerror", "4.7.7": "securityerror", "4.7.12": "securityerror",
    "4.7.24": "authfailure", "4.7.25": "requireptr", "4.7.26": "authfailure",
    "5.1.0": "userunknown", "5.1.1": "userunknown", "5.1.2": "hostunknown", "5.1.3": "userunknown",
    "5.1.4": "filtered", "5.1.6": "hasmoved", "5.1.7": "rejected", "5.1.8": "rejected",
    "5.1.9": "systemerror", "5.1.10": "notaccept",
    "5.2.0": "filtered", "5.2.1": "filtered", "5.2.2": "mailboxfull", "5.2.3": "exceedlimit",
    "5.2.4": "filtered", "5.3.0": "systemerror", "5.3.1": "systemfull", "5.3.2": "notaccept",
    "5.3.3": "systemerror", "5.3.4": "mesgtoobig", "5.3.5": "systemerror",
    "5.4.0": "networkerror", "5.4.3": "systemerror", "5.4.4": "hostunknown",
    "5.5.2": "syntaxerror", "5.5.3": "toomanyconn", "5.5.4": "systemerror", "5.5.5": "systemerror",
    "5.5.6": "syntaxerror",
    "5.6.0": "contenterror", "5.6.1": "contenterror", "5.6.2": "contenterror", "5.6.3": "contenterror",
    "5.6.5": "contenterror", "5.6.6": "contenterror", "5.6.7": "contenterror", "5.6.8": "contenterror",
    "5.6.9": "contenterror",
    "5.7.0": "securityerror", "5.7.1": "securityerror", "5.7.2": "securityerror", "5.7.3": "securityerror",
    "5.7.4": "securityerror", "5.7.5": "securityerror", "5.7.6": "securityerror", "5.7.7": "securityerror",
    "5.7.8": "securityerror", "5.7.9": "securityerror", "5.7.10": "securityerror",
    "5.7.11": "securityerror", "5.7.13": "suspend", "5.7.14": "securityerror",
    "5.7.15": "securityerror", "5.7.16": "mesgtoobig", "5.7.17": "hasmoved", "5.7.18": "hasmoved",
    "5.7.19": "securityerror", "5.7.20": "authfailure", "5.7.21": "authfailure",
    "5.7.22": "authfailure", "5.7.23": "authfailure", "5.7.24": "authfailure",
    "5.7.25": "requireptr", "5.7.26": "authfailure", "5.7.27": "notaccept",
    "5.7.28": "spamdetected", "5.7.29": "authfailure", "5.7.30": "failedstarttls",
}

#: Reason -> a representative status code, used when a bounce carries no code at all.
REASON_STATUSES: dict[str, str] = {
    "userunknown": "5.1.1", "hostunknown": "5.1.2", "mailboxfull": "5.2.2", "mesgtoobig": "5.3.4",
    "exceedlimit": "5.2.3", "expired": "4.4.7", "norelaying": "5.7.1", "hasmoved": "5.1.6",
    "suspend": "5.2.1", "systemfull": "4.3.1", "networkerror": "4.4.2", "securityerror": "5.7.0",
    "spamdetected": "5.7.1", "virusdetected": "5.7.1", "contenterror": "5.6.0",
    "systemerror": "5.3.0", "notaccept": "5.3.2", "toomanyconn": "4.3.2", "requireptr": "5.7.25",
    "authfailure": "5.7.26", "blocked": "5.7.1", "filtered": "5.2.0", "rejected": "5.7.1",
    "policyviolation": "5.7.1", "syntaxerror": "5.5.2", "failedstarttls": "5.7.10",
}

# Ordered: the first matching pattern wins. Lower-case text is matched.
_TEXT_RULES: list[tuple[str, str]] = [
    ("rejected", r"sender (?:address )?(?:rejected|refused|denied|verify failed|domain (?:must exist|not found))|"
                 r"domain of sender|unroutable sender|sender (?:is )?(?:unknown|invalid)|"
                 r"<[^>]*> sender rejected"),
    ("spamdetected", r"content rejected|\bube\b|mail rejete"),
    ("virusdetected", r"virus|malware|infected|worm detected|trojan|harmful content|dangerous attachment"),
    ("failedstarttls", r"starttls|tls is required|requiretls|must issue a starttls|tls negotiation fail"),
    ("requireptr", r"reverse dns|ptr record|no ptr|reverse (?:lookup|hostname|dns) |"
                   r"cannot find your hostname|unresolvable (?:relay )?host ?name|"
                   r"(?:ip|client) (?:address )?(?:has )?no (?:reverse|ptr)|"
                   r"reverse (?:address )?mapping|does not have a reverse|cannot resolve your address|"
                   r"\brdns\b|no reverse|not resolve to your ip|hostname not found for your ip|"
                   r"ip name lookup failed|unknown host name"),
    ("authfailure", r"\bspf\b.*(?:fail|not (?:pass|authorized|permitted))|dmarc|dkim.*(?:fail|invalid)|"
                    r"not authorized to send (?:mail )?on behalf|sender policy framework|"
                    r"authentication (?:failed|failure|check)|unauthenticated email|"
                    r"does not pass (?:spf|dkim)|failed (?:spf|dkim)|message failed authentication"),
    ("mesgtoobig", r"message (?:size|length) exceeds|message too (?:large|big)|too large for|"
                   r"exceeds (?:the )?(?:maximum|size) (?:message )?(?:size|limit)|message is too large|"
                   r"size limit|message size .* exceeds|mail size|message file too big|"
                   r"exceeded maximum inbound message size|message exceeds (?:the )?(?:maximum|fixed) "),
    ("mailboxfull", r"mailbox (?:is )?full|over ?quota|quota (?:exceeded|violation|full|limit)|"
                    r"mailbox (?:has )?exceeded|exceeded (?:the )?(?:storage|quota|mailbox)|"
                    r"disk quota|mailbox size limit|insufficient (?:disk )?(?:space|storage)|"
                    r"not enough (?:storage|space)|account is full|(?:user|mailbox|inbox) is over|"
                    r"full mailbox|mail ?box ?full|storage (?:allocation|limit)|out of storage|"
                    r"would exceed|mail quota|is full|too much mail data|boite du destinataire pleine"),
    ("hasmoved", r"has (?:been )?moved|no longer (?:valid|available|active) at|address has changed|"
                 r"moved to a new|forwarding address"),
    ("suspend", r"(?:account|mailbox|user|address) (?:has been |is |was )?(?:disabled|suspended|"
                r"deactivated|inactive|blocked by the administrator|expired|locked|frozen|closed|"
                r"discontinued|terminated|not active)|"
                r"(?:disabled|suspended|inactive|deactivated|frozen|locked) (?:account|mailbox|user|recipient)|"
                r"not (?:an )?active (?:user|account|mailbox)|temporarily disabled|"
                r"recipient (?:account )?(?:is )?(?:inactive|suspended)|account .*?inactive|"
                r"this account has been|"
                r"has been (?:disabled|suspended|deactivated)|"
                r"boite du destinataire archivee|mailbox currently suspended"),
    ("policyviolation", r"policy (?:reasons?|violation|rule)|violates? (?:our|the|local)|policy violation|"
                        r"not accepted for policy|prohibited (?:attachment|content|file)"),
    ("norelaying", r"relay(?:ing)? (?:access )?(?:denied|not (?:allowed|permitted)|prohibited)|"
                   r"not permitted to relay|unable to relay|we do not relay|relaying (?:mail )?to .* "
                   r"(?:is )?not allowed|not allowed to relay|no relaying|cannot relay|relay not"),
    ("userunknown", r"user (?:is )?unknown|unknown (?:user|recipient|local[- ]part|mailbox|address|alias)|"
                    r"no such (?:user|mailbox|recipient|address|account|local user)|"
                    r"user(?:name)? (?:does not|doesn't|not) exist|"
                    r"(?:mailbox|recipient|address|account|user|addressee) (?:is )?(?:does not|doesn't|not) "
                    r"(?:exist|found|known|valid)|mailbox unavailable.*(?:not found|invalid)|"
                    r"invalid (?:recipient|mailbox|user|address)|recipient (?:address )?rejected|"
                    r"(?:mailbox|user|recipient|address|account)(?: name)? (?:is )?(?:invalid|unknown|"
                    r"not found|unavailable|not listed)|"
                    r"addressee unknown|not a valid (?:user|mailbox|recipient)|not our customer|"
                    r"doesn't have (?:a|an) .*account|does not have (?:a|an) .*account|"
                    r"no (?:mailbox|account|user) (?:here|by that name|found)|"
                    r"undeliverable address|bad destination mailbox|unknown or illegal alias|"
                    r"destination address (?:is )?(?:invalid|unknown)|"
                    r"no valid recipients|recipient not found|user not found|mailbox not found|"
                    r"address rejected|unrouteable address|unroutable address|"
                    r"is not a known user|unknown account|not (?:a )?known user|"
                    r"(?:address|recipient) lookup failed|no such person|"
                    r"invalid address|address does not exist|name not recognized|"
                    r"user not listed|mailbox does not exist|this user doesn't have|"
                    r"couldn't be found|could not be found|not exist|account not available"),
    ("hostunknown", r"host (?:or domain name )?not found|unknown host|host unknown|no such domain|"
                    r"domain (?:does not|doesn't) exist|name or service not known|unrouteable mail domain|"
                    r"domain (?:not found|is not valid|unknown)|no mx|mx (?:record )?(?:not found|lookup)|"
                    r"illegal host/domain|hostname (?:not found|does not exist)|unknown domain|"
                    r"domain name (?:not found|invalid)|all relevant mx records point to non-existent hosts|"
                    r"nxdomain|cannot find (?:the )?domain|invalid domain|domain lookup failed|"
                    r"could not resolve"),
    ("toomanyconn", r"too many (?:connections|concurrent|simultaneous)|connection (?:rate|limit)|"
                    r"too many recipients|too many (?:smtp )?sessions"),
    ("speeding", r"rate limit|sending (?:too fast|rate)|too many messages|slow down|"
                 r"try again later.*(?:rate|volume)|throttl"),
    ("spamdetected", r"spam(?!haus|cop|rats)|junk mail|bulk mail|unsolicited|content filter|blacklisted content|"
                     r"message (?:content )?(?:rejected|refused) (?:as|because|due)|"
                     r"scored too high|high probability|suspicious|phish|"
                     r"message filtered|rejected by (?:the )?filter"),
    ("blocked", r"blocked|blacklist|block ?list|denylist|\bdnsbl\b|\brbl\b|spamhaus|spamcop|barracuda|"
                r"sorbs|listed (?:at|in|on|by)|reputation|client host (?:\[[^\]]*\] )?rejected|"
                r"access denied|connection (?:refused|rejected|denied)|refused to talk|"
                r"not allowed to send|poor reputation|ip .*(?:banned|rejected|refused)|"
                r"banned|not accepting (?:mail|messages) from|service unavailable.*(?:client|ip)"),
    ("policyviolation", r"policy|not allowed by|prohibited|not permitted|violat"),
    ("expired", r"expired|failing for a long time|retry time not reached|did not accept our requests to connect|"
                r"retry timeout|timed? ?out|too (?:long|old) in (?:the )?queue|"
                r"could not be delivered (?:with)?in|giving up|gave up|delivery time|"
                r"has not been delivered|undeliverable for|delivery attempts"),
    ("networkerror", r"network (?:error|failure|problem|is unreachable|unreachable)|no route to host|name server reply|dns (?:error|failure)|connection (?:lost|dropped|reset|closed)|loop|too many hops|"
                     r"lost connection|broken pipe|unable to connect|could not connect|"
                     r"connect to .* failed|connection timed out"),
    ("systemfull", r"(?:system|disk|storage) (?:is )?full|out of (?:disk )?space|insufficient system"),
    ("notaccept", r"does not accept (?:mail|e-?mail|messages)|not accepting mail|null mx|no mail service"),
    ("syntaxerror", r"syntax error|command unrecognized|bad command|command not recognized"),
    ("rejected", r"sender (?:address )?(?:rejected|refused|denied|verify failed|unknown|invalid|domain)|"
                 r"domain of sender|from address|after mail from|rejected|refused|denied|not accepted"),
    ("systemerror", r"system error|internal error|server error|configuration error|local error|"
                    r"mail system|temporar(?:y|ily) (?:failure|error|unavailable)|"
                    r"unable to deliver|mailer|misconfigured|local delivery failed"),
    ("filtered", r"filter|not accepting messages|not authorized to receive|"
                 r"refuses? (?:to )?accept|has chosen not to receive|does not receive mail"),
]
_STRONG_TEXT = frozenset({
    "virusdetected", "failedstarttls", "requireptr", "authfailure", "mesgtoobig", "mailboxfull",
    "hasmoved", "suspend", "norelaying", "userunknown", "hostunknown", "spamdetected", "blocked",
    "toomanyconn", "expired", "speeding", "systemfull", "rejected", "policyviolation",
})

#: Reasons tried in order with :func:`_probe` (code, text and failed command together).
_PROBE_ORDER = (
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying", "authfailure",
    "userunknown", "filtered", "requireptr", "notcompliantrfc", "badreputation", "contenterror",
    "rejected", "notaccept", "hostunknown", "virusdetected", "spamdetected", "speeding", "toomanyconn",
    "policyviolation", "blocked",
)
#: Reasons tried in order by text alone when the code decided nothing specific.
_TEXT_ORDER = (
    "mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected", "virusdetected",
    "policyviolation", "norelaying", "systemerror", "networkerror", "suspend", "contenterror",
    "systemfull", "notaccept", "expired", "failedstarttls", "securityerror", "suppressed", "mailererror",
)
#: Reasons a status code names only vaguely: the text is read again.
_VAGUE = frozenset({"undefined", "onhold", "systemerror", "securityerror", "expired", "networkerror",
                    "hostunknown", "userunknown"})
#: Phrases that make a 5.1.1-style code mean something other than an unknown user.
_NOT_USER = ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept", "speeding")


_EMPTY_ADDRESS_REPLY = re.compile(r"\b[45]\d\d(?:\s*:)+\s")


@cache
def _fallback_rules() -> list[tuple[str, re.Pattern[str]]]:
    return [(reason, re.compile(pattern)) for reason, pattern in _TEXT_RULES]


def fold(text: str | None) -> str:
    """Lower-cased, white space folded, bounded: the form every pattern is matched against."""
    return " ".join((text or "")[:8000].lower().split())[:4000]


def reason_from_text(text: str) -> str | None:
    """The first reason whose pattern matches ``text`` (case-insensitive)."""
    if not text:
        return None
    low = fold(text)
    for reason, pattern in _fallback_rules():
        if pattern.search(low):
            return reason
    return None


def classify(status: str | None, diagnostic: str | None, action: str | None = None,
             context: str | None = None, *, command: str | None = None,
             diagnostic_type: str | None = None) -> str:
    """Classify one failed recipient.

    1. A success code or ``delivered`` action is ``delivered``.
    2. Each reason of :data:`_PROBE_ORDER` is probed with the status code's
       reason (RFC 3463 section 3), the diagnostic text and the SMTP command
       that failed (:func:`mailwarden.bounces.smtpcommand.failed_command`).
    3. When the code says nothing specific, the text alone decides
       (:data:`_TEXT_ORDER`), then the code's reason, its subject (X.6 content,
       X.7 security), the action (``delayed`` is ``expired``) and the command
       (refused at HELO/EHLO is ``blocked``).
    4. Otherwise the notification's human-readable ``context`` is read the same way,
       and last a looser ordered set of phrases.
    """
    if action == "delivered" or (status and status.startswith("2.")):
        return "delivered"
    dtype = (diagnostic_type or "smtp").lower()
    low = fold(diagnostic)
    cmd = command or failed_command(diagnostic) or failed_command(context)
    if cmd is None and _EMPTY_ADDRESS_REPLY.search(low):
        cmd = "DATA"  # "550 : User unknown": a reply naming no recipient answers the message, not RCPT
    name = STATUS_REASONS.get(status or "")
    reason = _decide(status, name, low, cmd, dtype, action)
    if reason is None or reason in ("systemerror", "securityerror"):
        context_low = fold(context)
        from_context = _decide(None, None, context_low, cmd, "smtp", None) if context_low else None
        if from_context in _STRONG_TEXT or (reason is None and from_context):
            reason = from_context
    if reason is None:
        guess = reason_from_text(diagnostic or "")
        if guess is None and context:
            guess = reason_from_text(context)
            guess = guess if guess in _STRONG_TEXT else None
        reason = guess
    if cmd == "MAIL" and reason in ("userunknown", "hostunknown", "filtered"):
        reason = "rejected"  # "does not exist" in reply to MAIL FROM is about the sender
    if reason == "hostunknown" and (status or "").startswith("4."):
        reason = "networkerror"  # a DNS lookup that may succeed later
    if reason is None:
        temporary = action == "delayed" or (status or "").startswith("4.")
        reason = "expired" if temporary else "undefined"
    return reason


def _probe(reason: str, name: str | None, low: str, cmd: str | None) -> bool:
    """Does the code/text/command evidence point at ``reason``?"""
    if reason == "userunknown":
        if cmd == "MAIL":
            return False
        if name == "userunknown":
            if included("filtered", low) and not included("userunknown", low):
                return False
            return not any(included(other, low) for other in _NOT_USER)
        return cmd in ("RCPT", None) and included("userunknown", low)
    if reason == "filtered":
        if name == "filtered":
            return included("userunknown", low) or included("filtered", low)
        if cmd in BEFORE_DATA:
            return False
        return included("filtered", low) or included("userunknown", low)
    if reason == "rejected":
        if name == "rejected":
            return True
        temp = name or "undefined"
        if cmd == "MAIL":  # refused at MAIL FROM: the sender was refused
            return included("rejected", low) or "access denied" in low
        if cmd == "DATA" and temp != "userunknown":
            return included("rejected", low)
        return temp in ("undefined", "onhold", "securityerror", "systemerror") and included("rejected", low)
    if reason == "notaccept":
        return included("notaccept", low)
    if reason == "policyviolation":
        return included("policyviolation", low)
    if reason == "hostunknown":
        if cmd in ("MAIL", "HELO", "EHLO"):
            return False
        if name == "hostunknown":
            return not included("networkerror", low)
        return included("hostunknown", low)
    if reason == "mesgtoobig" and name == "exceedlimit":
        return False
    return name == reason or included(reason, low)


def _decide(status: str | None, name: str | None, low: str, cmd: str | None, dtype: str,
            action: str | None) -> str | None:
    if dtype == "smtp":
        for reason in _PROBE_ORDER:
            if _probe(reason, name, low, cmd):
                return reason
    if name is None or name in _VAGUE or dtype != "smtp":
        local = dtype.startswith("x-unix")  # a local delivery program's own words (RFC 3464 section 2.3.6)
        for reason in _TEXT_ORDER:
            if included(reason, low) and not (local and reason == "systemerror"):
                return reason
        if name:
            return name
        subject = (status or "")[:3]
        if subject in ("5.6", "4.6"):
            return "contenterror"
        if subject in ("5.7", "4.7"):
            return "securityerror"
        if dtype.startswith("x-unix"):
            return "mailererror"
        if included("syntaxerror", low):
            return "syntaxerror"
        if action == "delayed":
            return "expired"
        if cmd in ("EHLO", "HELO"):
            return "blocked"
    return name
