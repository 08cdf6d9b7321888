"""Which domains are too broad to allow-list: freemail providers and public suffixes.

A whole freemail domain (anyone can open an account there) or a public-suffix
level entry (``*.co.uk``, ``@com``: anyone can register below it, Public
Suffix List, https://publicsuffix.org) lets any sender skip the filter.
"""

from __future__ import annotations

from mailwarden.cache import memo

#: Consumer mailbox providers where anyone can get an address (A-label form).
FREEMAIL: frozenset[str] = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.it",
        "hotmail.es",
        "live.com",
        "live.co.uk",
        "live.fr",
        "live.de",
        "live.nl",
        "msn.com",
        "passport.com",
        "windowslive.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.it",
        "yahoo.es",
        "yahoo.ca",
        "yahoo.com.au",
        "yahoo.co.jp",
        "yahoo.co.in",
        "yahoo.com.br",
        "ymail.com",
        "rocketmail.com",
        "aol.com",
        "aim.com",
        "verizon.net",
        "att.net",
        "icloud.com",
        "me.com",
        "mac.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "gmx.at",
        "gmx.ch",
        "gmx.fr",
        "web.de",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "arcor.de",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "rambler.ru",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "tutanota.de",
        "tuta.io",
        "zoho.com",
        "zohomail.com",
        "fastmail.com",
        "fastmail.fm",
        "hushmail.com",
        "mail.com",
        "email.com",
        "usa.com",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sohu.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "libero.it",
        "virgilio.it",
        "tiscali.it",
        "alice.it",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "onet.pl",
        "rediffmail.com",
        "comcast.net",
        "btinternet.com",
        "sky.com",
        "talktalk.net",
        "bigpond.com",
        "optusnet.com.au",
        "shaw.ca",
        "rogers.com",
        "sympatico.ca",
        "bluewin.ch",
        "hey.com",
        "duck.com",
        "skiff.com",
    ]
)


def is_freemail(domain: str) -> bool:
    """True for a consumer mailbox provider's domain (A-label, lower case)."""
    return domain in FREEMAIL


@memo(1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@memo(8192)
def is_public_suffix(domain: str) -> bool:
    """True when ``domain`` is itself a public suffix (``com``, ``co.uk``, ``github.io``)."""
    domain = domain.strip(".").lower()
    if not domain:
        return True
    try:
        return bool(_psl().is_public(domain))
    except (ValueError, UnicodeError):
        return False
