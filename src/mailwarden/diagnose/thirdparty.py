"""Naming the third party that sent as the owner's domain.

SPF authorizes a sending service through an ``include:`` (RFC 7208 section
5.2) and DKIM names it through the selector or the key's CNAME target (RFC 6376
section 3.6.2.1).  Well-known services are named; any other include or selector
is reported as it is, which still tells the owner where to look.
"""

from __future__ import annotations

#: SPF include domains (or their parent) of common sending services.
SPF_SERVICES: dict[str, str] = {
    "_spf.google.com": "Google Workspace",
    "spf.protection.outlook.com": "Microsoft 365",
    "sendgrid.net": "SendGrid",
    "servers.mcsv.net": "Mailchimp",
    "mailgun.org": "Mailgun",
    "amazonses.com": "Amazon SES",
    "spf.mandrillapp.com": "Mailchimp Transactional (Mandrill)",
    "_spf.salesforce.com": "Salesforce",
    "mail.zendesk.com": "Zendesk",
    "spf.mailjet.com": "Mailjet",
    "spf.brevo.com": "Brevo",
    "spf.sendinblue.com": "Brevo (Sendinblue)",
    "zoho.com": "Zoho Mail",
    "zoho.eu": "Zoho Mail",
    "_spf.createsend.com": "Campaign Monitor",
    "spf.messagingengine.com": "Fastmail",
    "_spf.mx.cloudflare.net": "Cloudflare Email Routing",
    "helpscoutemail.com": "Help Scout",
    "_spf.elasticemail.com": "Elastic Email",
    "spf.mtasv.net": "Postmark",
    "mktomail.com": "Marketo",
    "_spf.hubspot.com": "HubSpot",
}

#: DKIM selectors that identify a service on their own.
DKIM_SELECTORS: dict[str, str] = {
    "google": "Google Workspace",
    "selector1": "Microsoft 365",
    "selector2": "Microsoft 365",
    "k1": "Mailchimp",
    "k2": "Mailchimp",
    "k3": "Mailchimp",
    "mandrill": "Mailchimp Transactional (Mandrill)",
    "mte1": "Mailjet",
    "mailjet": "Mailjet",
    "pm": "Postmark",
    "zendesk1": "Zendesk",
    "zendesk2": "Zendesk",
    "hs1": "HubSpot",
    "hs2": "HubSpot",
    "cm": "Campaign Monitor",
    "zmail": "Zoho Mail",
    "fm1": "Fastmail",
    "fm2": "Fastmail",
    "fm3": "Fastmail",
}


def name_spf_include(include: str) -> str:
    """A readable name for an SPF include target (the target itself when unknown)."""
    include = include.lower().rstrip(".")
    labels = include.split(".")
    for i in range(len(labels) - 1):
        name = SPF_SERVICES.get(".".join(labels[i:]))
        if name:
            return f"{name} (SPF include:{include})"
    return f"the service behind SPF include:{include}"


def name_dkim_selector(domain: str, selector: str) -> str:
    """A readable name for a DKIM signer of the owner's domain."""
    name = DKIM_SELECTORS.get(selector.lower())
    if name:
        return f"{name} (DKIM selector {selector}._domainkey.{domain})"
    return f"the service holding the DKIM key {selector}._domainkey.{domain}"
