"""Bounce reasons in plain words, shown beside the code (SPEC section 8; issue 15 point 8)."""

from __future__ import annotations

#: Bounce reasons (SPEC section 8 names) in plain words, shown beside the code.
REASON_WORDS = {
    "userunknown": "the mailbox does not exist", "mailboxfull": "the mailbox is full",
    "hostunknown": "the recipient's domain does not exist or has no mail server",
    "filtered": "the recipient's filter refused it", "rejected": "the receiving server refused the sender",
    "blocked": "the sending server or its address is blocked", "spamdetected": "it was judged to be spam",
    "expired": "it could not be delivered for days and was given up",
    "suspend": "the recipient's account is suspended or disabled",
    "mesgtoobig": "the message is too large", "norelaying": "the server does not relay mail for this address",
    "policyviolation": "it broke the receiving server's rules",
    "securityerror": "it failed a security check (for example SPF, DKIM or DMARC)",
    "systemerror": "the receiving server had an internal problem", "networkerror": "a network problem",
    "virusdetected": "a virus was found in it", "toomanyconn": "too many connections to the receiving server",
    "exceedlimit": "it exceeded a size or rate limit", "vacation": "an automatic out-of-office reply",
    "undefined": "the bounce gives no clear reason", "onhold": "delivery is on hold",
    "delivered": "it was delivered", "feedback": "a recipient reported it",
}


def reason_words(reason: str | None) -> str:
    """``userunknown`` -> ``the mailbox does not exist (userunknown)``."""
    if not reason:
        return "no reason given"
    words = REASON_WORDS.get(reason)
    return f"{words} ({reason})" if words else reason
