"""Message-text patterns, one per bounce reason (SPEC section 8 reason names).

Each pattern says "this reply text, whatever its code, describes reason R".
They are matched against lower-cased text with runs of white space folded to
one space. :func:`included` compiles a pattern on first use, so a bounce that
is decided by its status code never compiles most of them.

The phrases are the ones receiving MTAs and large mailbox providers put in
their SMTP replies (RFC 5321 section 4.2) and non-delivery reports.
"""

from __future__ import annotations

import re
from functools import cache

PATTERNS: dict[str, str] = {
    "mailboxfull": (
        r"mailbox (?:is )?full|mailbox (?:has )?exceeded|over ?quota|quota (?:exceeded|violation|full|limit|"
        r"reached)|exceeded (?:the |his |her )?(?:storage|quota|mailbox|allotted)|disk quota|mailbox size limit|"
        r"insufficient (?:space|storage)|not enough (?:storage|space)|account is full|"
        r"(?:user|mailbox|inbox) is over|full mailbox|mail ?box ?full|storage (?:allocation|limit)|out of storage|"
        r"mail quota|is full\b|too much mail data|boite du destinataire pleine|exceeds? (?:the )?quota|"
        r"user has exceeded|recipient (?:mailbox|account) is full|no space left|mailbox would exceed|"
        r"mailfolder is full|would be over the allowed quota|maildir (?:over|is over)|"
        r"(?:mailbox|account) storage|has exceeded (?:his|her|its|their) (?:quota|storage)|quota exceed"
    ),
    "mesgtoobig": (
        r"message (?:size|length) exceeds|message too (?:large|big)|too large for|message is too (?:large|big)|"
        r"exceeds (?:the )?(?:maximum|size) (?:message )?(?:size|limit)|message size .{0,40}exceeds|"
        r"message file too big|exceeded maximum inbound message size|message exceeds (?:the )?(?:maximum|fixed)|"
        r"size (?:of|limit) .{0,20}exceed|mail size|line limit exceeded|line too long|"
        r"taille limite du message atteinte|message (?:is )?larger than|size exceeds|exceeds size limit|"
        r"email (?:message )?(?:is )?too (?:big|large)"
    ),
    "exceedlimit": (
        r"message too large for this recipient|recipsizelimit|message size exceeds (?:the )?(?:mailbox|"
        r"recipient)|exceeds (?:the )?(?:recipient|mailbox)(?:'s)? (?:size )?limit"
    ),
    "suspend": (
        r"(?:account|mailbox|user|address|recipient) (?:has been |is |was )?(?:disabled|suspended|deactivated|"
        r"inactive|blocked by the administrator|locked|frozen|closed|discontinued|terminated|not active|"
        r"temporarily (?:locked|disabled|unavailable))|temporary locked|account is blocked|compte du destinataire est bloque|"
        r"account that you tried to reach is (?:inactive|disabled)|"
        r"(?:disabled|suspended|inactive|deactivated|frozen|locked) (?:account|mailbox|user|recipient)|"
        r"not (?:an )?active (?:user|account|mailbox)|temporarily disabled|mailbox currently suspended|"
        r"boite du destinataire archivee|has been (?:disabled|suspended|deactivated)|"
        r"recipient (?:account )?(?:is )?(?:inactive|suspended)|account (?:has been )?expired|"
        r"mailbox unavailable or access denied|user suspended|is a deactivated mailbox|"
        r"this account has been (?:disabled|suspended|closed)|user (?:account )?is (?:disabled|suspended)"
    ),
    "hasmoved": r" has been replaced by |has (?:been )?moved|address has changed|no longer (?:valid|available) at",
    "norelaying": (
        r"relay(?:ing)? (?:access )?(?:denied|not (?:allowed|permitted)|prohibited)|not permitted to relay|"
        r"unable to relay|we do not relay|relaying (?:mail )?to .{0,80} (?:is )?not allowed|"
        r"not allowed to relay|no relaying|cannot relay|relay not|not configured to relay|"
        r"mail server requires authentication before sending mail|relaying denied|"
        r"that domain isn't in my list of allowed rcpthosts|domain isn't in my list of allowed rcpthost|"
        r"email address is not verified|not a gateway|sorry, that domain isn't in my list|"
        r"relay access|no open relay"
    ),
    "authfailure": (
        r"\bspf\b.{0,60}(?:fail|not (?:pass|authorized|permitted))|per it'?s spf|spf check|"
        r"\bdmarc\b|\bdkim\b.{0,40}(?:fail|invalid)|not authorized to send (?:mail )?on behalf|"
        r"sender policy framework|authentication (?:failed|failure|check)|unauthenticated email|"
        r"does not pass (?:spf|dkim)|failed (?:spf|dkim)|message failed authentication|bad spf|"
        r"is not allowed to send (?:mail )?from .{0,80}spf"
    ),
    "userunknown": (
        r"user (?:is )?unknown|unknown (?:user|recipient|local[- ]part|mailbox|address|alias|e-?mail address)|"
        r"no such (?:user|mailbox|recipient|address|account|local user|person)|"
        r"user(?:name)? (?:does not|doesn't|not) exist|user not (?:found|known|active)|"
        r"(?:mailbox|recipient|address|account|addressee|user) (?:does not|doesn't) exist|recipient not (?:exist|found|ok)|"
        r"invalid (?:recipient|mailbox|user|address)|recipient address rejected: (?:unknown user|invalid[- ]user|"
        r"user unknown|userunknown|invalid-recipient|access denied|user .{1,80} does not exist)|"
        r"(?:mailbox|recipient) (?:is )?(?:invalid|unknown|not found|unavailable|not present)|mailbox unavaiable|"
        r"addressee unknown|not a valid (?:user|mailbox|recipient)|is not a valid mailbox|"
        r"no (?:mailbox|account) (?:here )?by that name|no mailbox (?:here|found)|no such address here|"
        r"unknown or illegal alias|destination addresses were unknown|"
        r"no valid recipients|address (?:does not exist|unknown|not present in directory)|"
        r"is not a known user|not (?:a )?known user|no one at this address|"
        r"requested action not taken: mailbox unavailable|resolver\.adr\.recip|recipient ?notfound|"
        r"this user doesn't have a .{0,40} account|email account that you tried to reach does not exist|"
        r"not our customer|bad destination mailbox|badrcptto|not in my validrcptto|"
        r"mailbox not found|mailbox does not exist|the user's email name is not found|"
        r"non-?existent user|<[^>]{1,200}> not found|rcpt <[^>]{1,200}> does not exist|"
        r"user \S{1,200} (?:was not found|does not exist)|this address no longer accepts mail|"
        r"email address (?:does not exist|could not be found)|no mail ?box available for this user|"
        r"utilisateur inconnu|no existe (?:dicha persona|ese usuario)|nessun utente simile|"
        r"is not an active address|not a local address|mailbox is inactive|mailbox invalid|"
        r"can't accept user|recipient (?:is not accepted|is not local)|address invalid|bad address\b|"
        r"this spectator does not exist|user missing home directory|"
        r"weil die adresse nicht gefunden wurde|the recipient name is not recognized|recipientnotfound|"
        r"returned unknown recipient|not listed in (?:the )?(?:[\w.-]{1,40} )?(?:public )?(?:directory|address book)"
    ),
    "filtered": (
        r"account is protected by|bounced address|has restricted sms e-mail|is not accepting any mail|"
        r"message filtered|message rejected due to user rules|not found recipient account|"
        r"refuse to receive (?:mail|e-?mail)|only accepting mail from specific|"
        r"refused due to recipient preferences|user refuses to receive|user reject|"
        r"you have been blocked by the recipient|user not found"
    ),
    "requireptr": (
        r"reverse dns|ptr record|no ptr|reverse (?:lookup|hostname|dns) |cannot find your hostname|"
        r"unresolvable (?:relay )?host ?name|(?:ip|client) (?:address )?(?:has )?no (?:reverse|ptr)|"
        r"reverse (?:address )?mapping|does not have a reverse|cannot resolve your address|\brdns\b|no reverse|"
        r"not resolve to your ip|hostname not found for your ip|ip name lookup failed|unknown host name|"
        r"unverifiable sending ip|unverifyable sending ip|mismatches client ip|"
        r"client host rejected: cannot find your|name lookup failed for|hostname (?:does not|doesn't) match|"
        r"your (?:ip|address) has no (?:ptr|dns)"
    ),
    "notcompliantrfc": (
        r"this message is not rfc 5322 compliant|duplicate header|multiple (?:550 5\.7\.1 )?addresses in from|"
        r"headers? (?:are|is) not (?:rfc|compliant)|not rfc ?(?:2822|5322) compliant|"
        r"there are multiple .{0,20}headers|bare (?:lf|line ?feed)|invalid message-?id|"
        r"message contains bare"
    ),
    "badreputation": (
        r"low reputation|poor reputation|bad reputation|sender reputation|reputation of the sending|"
        r"ip reputation|domain reputation|has a bad reputation|sending ip has been (?:temporarily )?blocked due to"
    ),
    "contenterror": (
        r"header (?:size|line) (?:too long|exceeds)|illegal attachment|improper use of 8-bit data|"
        r"message header (?:size|is)|bad (?:header|content)|media error|invalid mime|"
        r"content error|attachment (?:type|not allowed)|"
        r"we don't accept (?:bare|8bit)"
    ),
    "rejected": (
        r"sender (?:address )?(?:rejected|refused|denied|verify failed|domain (?:must exist|not found))|"
        r"domain of sender|unroutable sender|sender (?:is )?(?:unknown|invalid)|<[^>]*> sender rejected|"
        r"sender was rejected|address (?:has been|is) blacklisted|sending to/from an address that has been "
        r"blacklisted|batv|unsigned dsn|you are not allowed to post|this server does not accept mail from|"
        r"empty (?:email|envelope) (?:address|sender)|your access to submit messages|"
        r"from address|mail from (?:address )?(?:rejected|refused)|sender address (?:has|is)|"
        r"not verified (?:sender|email)|invalid sender|bad sender|sender (?:not|is not) (?:allowed|permitted)|"
        r"your email address has been blacklisted|spam reporting address|return path|null sender"
    ),
    "hostunknown": (
        r"host (?:or domain name )?not found|host [\w.-]{1,253} not found|unknown host|host unknown|no such domain|"
        r"domain (?:does not|doesn't) exist|name or service not known|unrouteable mail domain|"
        r"domain (?:not found|is not valid|unknown|must exist)|illegal host/domain|hostname (?:not found|does not exist)|"
        r"unknown domain|domain name (?:not found|invalid)|all relevant mx records point to non-existent hosts|"
        r"cannot find (?:the )?domain|invalid domain|domain lookup failed|could not resolve|"
        r"domain is not reachable|unrouteable address|unroutable address|"
        r"bad destination system address|553 .{1,200} does not exist|"
        r"the domain .{1,80} (?:does not exist|is invalid|not exist)|domain is invalid|"
        r"recipient address rejected: (?:unknown|undeliverable) (?:domain|address: host)"
    ),
    "spamdetected": (
        r"spam(?!haus|cop|rats|trap)|junk mail|bulk mail|\bube\b|unsolicited|content filter|blacklisted (?:content|url)|"
        r"message (?:content )?(?:rejected|refused) (?:as|because|due)|scored too high|high probability|"
        r"suspicious|phish|rejected by (?:the )?filter|content rejected|mail rejete|uribl|surbl|"
        r"message (?:looks|appears) (?:like|to be) (?:spam|junk)|classified as|detected as"
    ),
    "speeding": (
        r"(?<!connection )rate limit|sending (?:too fast|rate)|too many messages|slow down|throttl|at a rate that|"
        r"too many recipients this hour|sent to too many recipients|"
        r"receiving mail at a rate|try again later.{0,40}(?:rate|volume)|unexpected volume|"
        r"messages per|exceeded the rate"
    ),
    "toomanyconn": (
        r"too many (?:connections|concurrent|simultaneous|smtp sessions|sessions)|connection (?:rate|limit)|"
        r"too many recipients|no more connections|concurrency limit|connection frequency|too many hosts|"
        r"frequency limited"
    ),
    "blocked": (
        r"blocked|blacklist|block ?list|denylist|\bdnsbl\b|\brbl\b|spamhaus|spamcop|barracuda|sorbs|"
        r"listed (?:at|in|on|by)|client host (?:\[[^\]]*\] )?rejected|access denied|connection (?:refused|"
        r"rejected|denied)|refused to talk|not allowed to send|ip .{0,40}(?:banned|rejected|refused)|banned|"
        r"not accepting (?:mail|messages) from|service unavailable.{0,40}(?:client|ip)|"
        r"please use the smtp server of your isp|dynamic ip|dial-?up|residential|your ip|"
        r"refused connection|connection not accepted|client not authorized|not authorized to connect|"
        r"my name was rejected|invalid ip for sending|network not allowed"
    ),
    "virusdetected": (
        r"virus|malware|infected|worm detected|trojan|harmful content|dangerous attachment"
    ),
    "policyviolation": (
        r"policy (?:reasons?|violation|rule)|violates? (?:our|the|local)|not accepted for policy|"
        r"prohibited (?:attachment|content|file)|policy restrictions?|local policy|"
        r"rejected by (?:local )?policy|due to (?:a |local )?policy|content presents a potential"
    ),
    "systemerror": (
        r"system error|internal error|server error|configuration error|local error|misconfigured|"
        r"temporar(?:y|ily) (?:failure|error|unavailable)|local delivery failed|queue file write error|"
        r"could not load drd|upstream error|transaction failed|service currently unavailable|"
        r"server configuration|system failure|system problem|internal server"
    ),
    "networkerror": (
        r"network (?:error|is unreachable|unreachable)|no route to host|name server reply|connection (?:lost|"
        r"dropped|reset|closed)|lost connection|broken pipe|host not reachable|malformed or unexpected|"
        r"routing loop|mail (?:loop|forwarding loop)|too many hops|loops back to myself"
    ),
    "systemfull": r"(?:system|disk|storage) (?:is )?full|out of (?:disk )?space|insufficient system",
    "notaccept": (
        r"does not accept (?:mail|e-?mail|messages)|not accepting (?:network )?(?:mail|messages)|null mx|"
        r"no mail service|host does not accept mail|mail receiving disabled|does not receive mail|"
        r"doesn't receive (?:e-?mail|mail)|no mx (?:record|host)|couldn't find a mail exchanger"
    ),
    "expired": (
        r"expired|failing for a long time|retry time not reached|did not accept our requests to connect|"
        r"retry timeout|timed? ?out|too (?:long|old) in (?:the )?queue|could not be delivered (?:with)?in|"
        r"giving up|gave up|delivery time|has not been delivered|undeliverable for|delivery attempts|"
        r"message (?:has been )?in (?:the )?queue too long|queue lifetime|connection timed out|"
        r"unable to connect|could not connect|operation timed out|(?:was|could) not (?:be )?delivered within|"
        r"(?:delivery|recipients) (?:\w+ ){0,3}was aborted after|failed (?:after )?\d{1,4} (?:delivery )?attempts"
    ),
    "failedstarttls": (
        r"starttls|tls is required|requiretls|must issue a starttls|tls negotiation fail|"
        r"tls (?:handshake|connection) fail|encryption required|does not support tls"
    ),
    "securityerror": (
        r"authentication required|authentication credentials invalid|delivery not authorized|"
        r"security (?:violation|policy)|encryption needed|sender (?:is )?not authorized|"
        r"authentication is required|must authenticate|insecure|smtp authentication"
    ),
    "syntaxerror": r"syntax error|command unrecognized|bad command|command not recognized|unrecognized command|"
    r"(?:improper|bad) sequence of commands",
    "mailererror": (
        r"x-unix;|procmail|mailer error|exited with|command died with status|permission denied|"
        r"pipe to |mailbox delivery failed|\bhome directory\b|couldn't create|unknown mailer|"
        r"mail for .{0,80} loops back to myself|local configuration error|fatal error in|"
        r"unable to write|maildrop"
    ),
    "suppressed": r"suppression list|suppressed|is on (?:the |our )?(?:account-level )?suppression",
    "onhold": r"on hold",
}


@cache
def compiled(reason: str) -> re.Pattern[str]:
    return re.compile(PATTERNS[reason])


def included(reason: str, low_text: str) -> bool:
    """``low_text`` (lower-cased, spaces folded) carries a phrase of ``reason``."""
    return bool(low_text) and reason in PATTERNS and compiled(reason).search(low_text) is not None
