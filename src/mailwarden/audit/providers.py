"""Known mail providers: their SPF includes and DKIM selectors.

Used to name the "authorized senders" of an SPF policy (an ``include:`` of
``spf.protection.outlook.com`` is Microsoft 365), to probe the DKIM selectors a
provider uses (RFC 6376 section 3.6.2.1: ``<selector>._domainkey.<domain>``),
and to tailor the records to publish for ``--provider``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provider:
    key: str
    name: str
    #: The include the provider documents (None when it has none).
    spf_include: str | None
    #: Domain suffixes of the provider's SPF records.
    spf_suffixes: tuple[str, ...]
    #: Tokens that identify the provider inside a label (``outlook`` in ``spf.protection.outlook-b.example``).
    keywords: tuple[str, ...]
    dkim_selectors: tuple[str, ...]
    dkim_howto: str


PROVIDERS: tuple[Provider, ...] = (
    Provider("google", "Google Workspace", "_spf.google.com", ("google.com", "googlemail.com"), ("google",),
             ("google",), "Admin console > Apps > Google Workspace > Gmail > Authenticate email: generate a 2048-bit key, publish it, click 'Start authentication'."),
    Provider("microsoft", "Microsoft 365", "spf.protection.outlook.com", ("outlook.com", "office365.com"),
             ("outlook", "office365"), ("selector1", "selector2"),
             "Microsoft Defender portal > Email authentication settings > DKIM: publish the two selector1/selector2 CNAMEs it shows, then enable signing."),
    Provider("sendgrid", "SendGrid", "sendgrid.net", ("sendgrid.net",), ("sendgrid",), ("s1", "s2", "smtpapi"),
             "SendGrid > Settings > Sender Authentication > Authenticate your domain: publish the s1/s2 CNAMEs."),
    Provider("mailgun", "Mailgun", "mailgun.org", ("mailgun.org",), ("mailgun",), ("mx", "smtp", "k1", "krs", "pic"),
             "Mailgun > Sending > Domain settings > DNS records: publish the DKIM TXT record it shows."),
    Provider("amazonses", "Amazon SES", "amazonses.com", ("amazonses.com",), ("amazonses",), (),
             "Amazon SES > Verified identities > Easy DKIM (RSA 2048): publish the three CNAMEs."),
    Provider("mailchimp", "Mailchimp / Mandrill", "servers.mcsv.net", ("mcsv.net", "mandrillapp.com"),
             ("mcsv", "mailchimp", "mandrill"), ("k1", "k2", "k3", "mandrill"),
             "Mailchimp > Domains > Authenticate: publish the k2/k3 CNAMEs."),
    Provider("salesforce", "Salesforce", "_spf.salesforce.com", ("salesforce.com",), ("salesforce",), ("sf1", "sf2"),
             "Salesforce Setup > DKIM Keys: create a 2048-bit key and publish the CNAMEs."),
    Provider("zoho", "Zoho Mail", "zoho.com", ("zoho.com", "zoho.eu"), ("zoho",), ("zmail", "zoho"),
             "Zoho Mail admin > Domains > Email configuration > DKIM: add a selector and publish its TXT record."),
    Provider("fastmail", "Fastmail", "spf.messagingengine.com", ("messagingengine.com",), ("messagingengine",),
             ("fm1", "fm2", "fm3"), "Fastmail > Settings > Domains: publish the fm1/fm2/fm3 CNAMEs."),
    Provider("proton", "Proton Mail", "_spf.protonmail.ch", ("protonmail.ch",), ("protonmail",),
             ("protonmail", "protonmail2", "protonmail3"), "Proton > Settings > Domain names > DKIM: publish the three CNAMEs."),
    Provider("postmark", "Postmark", "spf.mtasv.net", ("mtasv.net",), ("mtasv", "postmark"), ("pm",),
             "Postmark > Sender signatures > DNS settings: publish the DKIM TXT record."),
    Provider("zendesk", "Zendesk", "mail.zendesk.com", ("zendesk.com",), ("zendesk",), ("zendesk1", "zendesk2"),
             "Zendesk Admin > Channels > Email > DKIM: publish the two CNAMEs."),
    Provider("hubspot", "HubSpot", None, ("hubspotemail.net", "hubspot.com"), ("hubspot",), ("hs1", "hs2"),
             "HubSpot > Settings > Domains & URLs > Email sending domains: publish the DKIM CNAMEs."),
)

BY_KEY = {p.key: p for p in PROVIDERS}

#: Selectors probed on every audit, besides the provider ones (seen often in the wild).
COMMON_SELECTORS: tuple[str, ...] = (
    "default", "dkim", "mail", "s1", "s2", "k1", "selector1", "selector2", "google", "key1", "smtp", "mx",
)

_LABEL_SPLIT = re.compile(r"[.\-_]")


def provider_by_name(name: str) -> Provider | None:
    """Look ``--provider`` up by key or (case-insensitive) display name."""
    wanted = name.strip().lower()
    for p in PROVIDERS:
        if wanted in (p.key, p.name.lower()) or wanted in p.keywords:
            return p
    return None


def identify(domain: str) -> Provider | None:
    """The provider an SPF include (or DKIM CNAME target) belongs to, if known."""
    domain = domain.lower().rstrip(".")
    for p in PROVIDERS:
        if any(domain == s or domain.endswith("." + s) for s in p.spf_suffixes):
            return p
    tokens = set(_LABEL_SPLIT.split(domain))
    for p in PROVIDERS:
        if tokens.intersection(p.keywords):
            return p
    return None


def selectors_to_probe(explicit: tuple[str, ...], provider: Provider | None) -> list[tuple[str, bool]]:
    """(selector, explicit?) pairs: the user's first, then the provider's, then the common list; no duplicates."""
    seen: set[str] = set()
    out: list[tuple[str, bool]] = []
    candidates = [(s, True) for s in explicit]
    if provider is not None:
        candidates += [(s, False) for s in provider.dkim_selectors]
    candidates += [(s, False) for s in COMMON_SELECTORS]
    for selector, is_explicit in candidates:
        key = selector.lower()
        if key not in seen:
            seen.add(key)
            out.append((selector, is_explicit))
    return out
