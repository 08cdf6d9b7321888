"""Signatures of bounce senders: who wrote a non-standard bounce, and is it one at all.

Non-standard bounces (no ``message/delivery-status`` part) are recognised by
their sender (``MAILER-DAEMON``, ``postmaster``, a null Return-Path), their
subject ("Undelivered Mail Returned to Sender", "failure notice", "Mail
delivery failed", "Undeliverable:", ...) and fixed sentences the major MTAs
put in the body (Postfix, Exim, qmail, Sendmail, Exchange/Office 365, Gmail,
Yahoo, Courier, Domino, ...). The MTA is a label for the report only.
"""

from __future__ import annotations

import re

from mailwarden.message import Message

_SENDER = re.compile(
    r"mailer-daemon|mailer_daemon|postmaster|mail delivery (?:sub)?system|mail delivery service|"
    r"^(?:mail ?)?delivery|mailerdaemon|mail-daemon|\bmaildaemon\b|^bounce[sd]?@|nobody@|"
    r"microsoftexchange|administrator@|daemon@|smtp@|mmdf|mail administrator",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"undeliver|undelivered|returned mail|return(?:ed)? to sender|delivery (?:status )?notification|"
    r"delivery fail|delivery (?:has )?failed|delivery problem|failure notice|mail delivery|"
    r"non[- ]?delivery|could not (?:be )?deliver|couldn't be delivered|not delivered|nondeliverable|"
    r"delivery report|message (?:delivery )?(?:failed|failure)|mail system error|"
    r"warning: (?:could not send|message)|delayed mail|delivery delay|message (?:status|delay)|"
    r"mail failure|failed mail|rejected|unzustellbar|non remis|non recapitabile|"
    r"returned message|bounce|delivery error|error sending|mail could not|"
    r"nicht zugestellt|unable to deliver|permanent (?:error|failure)|"
    r"delivery (?:to the following|unsuccessful)|there was an error|mensaje no entregado|"
    r"no se puede entregar|retour de courrier|mail transaction failed|error de entrega|"
    r"failed delivery|deliveryfailure|sending failed|mail not delivered|"
    r"エラー通知|メールエラー|不達|未達|送信できません|配信エラー|退信|系统退信",
    re.IGNORECASE,
)
#: (MTA label, body/header pattern), the first match names the MTA.
MTA_SIGNATURES: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(p, re.IGNORECASE | re.MULTILINE)) for name, p in [
    ("postfix", r"this is the mail system at host|the postfix program|^reporting-mta: dns; .*\n(?:.*\n)*x-postfix"),
    ("exim", r"this message was created automatically by mail delivery software|"
             r"^x-failed-recipients:|could not be delivered to one or more of its recipients"),
    ("qmail", r"this is the qmail-send program|i'm afraid i wasn't able to deliver your message|"
              r"below this line is a copy of the message"),
    ("sendmail", r"the original message was received at|----- transcript of session follows -----|"
                 r"\.\.\. (?:user unknown|deferred)"),
    ("exchange", r"microsoft exchange|your message did not reach some or all of the intended recipients|"
                 r"delivery has failed to these recipients|the following recipient\(s\) (?:could not|cannot) be reached"),
    ("office365", r"office ?365|outlook\.com|protection\.outlook|diagnostic information for administrators"),
    ("gmail", r"delivery to the following recipient(?:s)? failed|technical details of (?:permanent|temporary) failure|"
              r"the response from the remote server was|google tried to deliver your message"),
    ("yahoo", r"message from yahoo|yahoo! ?mail|unable to deliver message to the following address"),
    ("courier", r"courier mail server|this is a delivery status notification from"),
    ("domino", r"lotus domino|your message\s+subject:.*was not delivered to"),
    ("opensmtpd", r"this is the mailer-daemon at|an error has occurred while attempting to deliver a message"),
    ("amazonses", r"amazonses|an error occurred while trying to deliver the mail to the following recipients"),
]]
_GOOGLE_GROUPS = re.compile(r"google groups|groups\.google\.com/support", re.IGNORECASE)
_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|undeliverable|"
    r"delivery (?:has )?failed|unable to deliver|permanent (?:error|failure|fatal)|"
    r"following (?:address(?:\(?es\)?)?|recipients?)(?: failed|:| could not)|"
    r"delivery to the following recipient|message you sent .* (?:could not|was not)|"
    r"your message (?:could not|was not|cannot) be delivered|wasn't able to deliver|"
    r"not able to deliver|failed to deliver|this is the mail system at host|"
    r"mail delivery (?:software|failed)|returned mail|user unknown|no such user|"
    r"transcript of session|delivery to .* failed|has not yet been delivered|"
    r"will retry|delay(?:ed)? (?:in )?delivery|still (?:not )?(?:been )?(?:un)?delivered|"
    r"message (?:delivery )?(?:has been )?delayed|temporary (?:failure|error)|"
    r"mailbox (?:is )?full|over quota",
    re.IGNORECASE,
)
_DELAY = re.compile(
    r"has not yet been delivered|not (?:yet )?been delivered (?:yet|for)|will (?:continue to )?(?:re)?try|"
    r"delivery (?:attempts )?will continue|still (?:trying|being retried|in the queue)|"
    r"warning: (?:message|could not send)|delivery (?:is )?delayed|delayed (?:mail|delivery)|"
    r"this is a warning|no action is required on your part|message will be retried|"
    r"temporarily deferred|is being retried|retry (?:will|again)|mail delay|"
    r"has been delayed|message delayed|was delayed|delivery delay|(?:has been|is|was) postponed|"
    r"will be retried|continue (?:to )?try|not been delivered yet|advisory[- ]only",
    re.IGNORECASE,
)
_GIVE_UP = re.compile(
    r"not going to try again|i've given up|(?<!will )giv(?:ing|en) up|gave up|failed permanently|"
    r"permanent (?:error|failure)|has been removed from the (?:mail )?queue|too long in the queue|"
    r"in the queue too long|no further (?:delivery )?attempts|will not (?:be )?(?:re)?tr",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delayed|delay|still (?:not|being)|not yet delivered|"
                            r"warning: (?:message|could not send|mail)", re.IGNORECASE)


def sender_looks_automated(message: Message) -> bool:
    """From or Return-Path of a mail system rather than a person (RFC 3464 section 2)."""
    if message.return_path == "":
        return True
    value = " ".join(message.get_all("From"))[:500]
    return bool(_SENDER.search(value))


def subject_looks_like_bounce(message: Message) -> bool:
    return bool(_SUBJECT.search(message.subject or ""))


def body_looks_like_bounce(text: str) -> bool:
    return bool(_BODY.search(text[:30000]))


def looks_delayed(text: str, subject: str = "") -> bool:
    """A delay warning rather than a final failure (RFC 3464 section 2.3.3 ``delayed``)."""
    sample = text[:30000]
    if _DELAY_SUBJECT.search(subject) and not _GIVE_UP.search(subject):
        return True
    if _GIVE_UP.search(sample):
        return False
    return bool(_DELAY.search(sample))


def identify_mta(message: Message, text: str) -> str | None:
    """A label naming the MTA that wrote the bounce, or ``None``."""
    sample = text[:20000]
    if _GOOGLE_GROUPS.search(sample):
        return "googlegroups"
    if message.get("X-Failed-Recipients") is not None:
        return "exim"
    for name, pattern in MTA_SIGNATURES:
        if pattern.search(sample):
            return name
    return None
