"""Recognition of automatic replies (RFC 3834) such as vacation notices.

Evidence, strongest first:

* ``Auto-Submitted: auto-replied`` (RFC 3834 section 5.1; ``auto-generated``
  alone marks notifications, which are *not* auto-replies);
* vendor headers: ``X-Autoreply``, ``X-Autorespond``, ``X-Auto-Reply``,
  ``X-Vacation``, ``Precedence: auto_reply``, Microsoft's
  ``X-MS-Exchange-Inbox-Rules-Loop`` with an out-of-office subject;
* vacation-style subjects ("Out of Office", "Automatic reply", "Auto:",
  "Abwesenheitsnotiz", "Réponse automatique", ...).

A subject alone is only accepted together with a sign of automation (an
``Auto-Submitted`` header of any value, ``X-Auto-Response-Suppress``,
``Precedence: bulk|junk|list|auto_reply``) or when it is unambiguous.
"""

from __future__ import annotations

import re

from mailwarden.message import Message

_VENDOR_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-vacation", "x-autoresponder",
                   "x-auto-response", "x-mailer-autoreply")
_STRONG_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic|matische)?[ -]?(?:reply|response|antwort|answer)|out of (?:the )?office|"
    r"auto(?:reply|respond|response)\b|autoreply|vacation|abwesenheitsnotiz|abwesend|"
    r"r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|resposta autom[áa]tica|"
    r"automatisch antwoord|afwezig|automaattinen vastaus|automatikus v[áa]lasz|"
    r"自動応答|自动回复|自動回覆|ooo\b|on vacation|away from (?:the|my) office|i am out of (?:the )?office)",
    re.IGNORECASE,
)
_PREFIX_SUBJECT = re.compile(r"^\s*(?:auto|autoreply|automatic reply|out of office)\s*:", re.IGNORECASE)
_AUTO_BODY = re.compile(
    r"(?:i am|i'm|i will be) (?:currently )?(?:out of (?:the )?office|away|on (?:vacation|holiday|leave))|"
    r"this is an auto(?:matic|mated)?[ -]?(?:reply|response|generated)|auto-?reply|"
    r"(?:vacation|holiday) (?:message|notice)|will (?:respond|reply|get back) .* (?:return|back)",
    re.IGNORECASE,
)


def autoreply_evidence(message: Message, body_text: str = "") -> tuple[str, ...]:
    """The reasons for calling ``message`` an auto-reply; empty if it is not one."""
    evidence: list[str] = []
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    if auto.startswith("auto-replied"):
        evidence.append(f"Auto-Submitted: {auto}")
    for name in _VENDOR_HEADERS:
        value = message.get(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            evidence.append(f"{name}: {value.strip()[:60]}")
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence == "auto_reply":
        evidence.append("Precedence: auto_reply")
    subject = message.subject or ""
    strong_subject = bool(_STRONG_SUBJECT.search(subject) or _PREFIX_SUBJECT.search(subject))
    if strong_subject:
        automated = bool(auto) or message.get("X-Auto-Response-Suppress") is not None or \
            precedence in ("bulk", "junk", "list", "auto_reply") or \
            message.get("X-MS-Exchange-Inbox-Rules-Loop") is not None or \
            bool(_AUTO_BODY.search(body_text[:5000]))
        if automated or evidence or _PREFIX_SUBJECT.search(subject) or _STRONG_SUBJECT.match(subject):
            evidence.append(f"vacation-style subject: {subject[:80]}")
    return tuple(evidence)
