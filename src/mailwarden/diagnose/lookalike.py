"""Look-alike detection: From identities that imitate the owner's without being it.

Two families of imitation are recognised:

* **display-name impersonation** - the display name of a From mailbox carries the
  owner's address or domain while the address itself is elsewhere
  (``"alice@example.com" <x@evil.example>``); RFC 5322 section 3.4 lets the
  display name say anything, and most mail readers show only it;
* **confusable domains** - the From domain is not the owner's but reads like it:
  Unicode homoglyphs and IDN (RFC 5890 A-labels are decoded first, then a
  skeleton in the spirit of Unicode TS #39 section 4 is compared), a single edit
  (insertion, deletion, substitution or transposition), the same name under
  another public suffix (``example.net``), added words (``example-secure.com``,
  ``examplemail.com``) and the owner's domain used as a left-hand label
  (``example.com.evil.example``).

Everything is pure and bounded: domains are at most 253 characters, the edit
distance is computed on registrable labels (at most 63 characters) with an
early exit, and no DNS is used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from mailwarden.cache import memo
from mailwarden.message.addresses import Address, to_unicode_domain

#: Words that phishers add to a brand name (``example-secure.com``, ``mail-example.com``).
_WORDS = (
    """mail email webmail secure security login signin sign verify verification account accounts
    support help helpdesk service services online web portal auth sso update billing invoice pay
    payment payments team admin it hr office cloud app apps id my official info notice alert alerts
    noreply no-reply reply inbox access center centre desk group corp inc ltd global intl"""
)
ADDED_WORDS = frozenset(_WORDS.split())

#: Owner labels shorter than this are not compared by edit distance (too many false alarms).
MIN_EDIT_LABEL = 4

#: Confusable characters mapped to the ASCII letter they imitate (Unicode TS #39 confusables, the
#: subset seen in real phishing: Cyrillic, Greek, Latin extensions, full-width forms via NFKC).
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l", "ү": "y", "ց": "g", "ո": "n", "ս": "u",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin look-alikes and dotless forms
    "ı": "i", "ȷ": "j", "ł": "l", "ƚ": "l", "ɩ": "i", "ɑ": "a", "ɒ": "a", "ʀ": "r", "ʏ": "y",
    "ǀ": "l", "ℓ": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ħ": "h",
    # digits and ASCII that read as letters
    "0": "o", "1": "l", "3": "e", "5": "s", "|": "l",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
#: Multi-letter ASCII sequences that read as one letter.
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"), ("ii", "u"))
_SPLIT_WORDS = re.compile(r"[-_.0-9]+")


@dataclass(frozen=True, slots=True)
class Lookalike:
    """One imitation found in a From mailbox."""

    kind: str  # display-name | homoglyph | one-edit | tld-swap | added-word | subdomain-trick
    address: str  # the From address as written
    imitates: str  # the owner's address or domain it imitates
    detail: str  # one plain sentence


@memo(1)
def _psl():  # type: ignore[no-untyped-def]
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@memo(4096)
def split_registrable(domain: str) -> tuple[str, str]:
    """(registrable label, public suffix) of a domain: ``mail.example.co.uk`` -> (``example``, ``co.uk``)."""
    domain = domain.lower().rstrip(".")
    suffix = _psl().publicsuffix(domain) or domain.rpartition(".")[2]
    if domain == suffix or not domain.endswith("." + suffix):
        return domain, ""
    rest = domain[: -len(suffix) - 1]
    return rest.rpartition(".")[2], suffix


def skeleton(text: str) -> str:
    """A comparison form: NFKC, lower case, marks removed, confusables folded (UTS #39 section 4 spirit)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = text.translate(_CONFUSABLE_TABLE)
    for seq, letter in _SEQUENCES:
        text = text.replace(seq, letter)
    return text


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).

    Returns ``limit + 1`` as soon as the distance must exceed ``limit`` (linear-time early exit).
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[len(b)], limit + 1)


def is_owner_domain(domain: str, owner_domains: Iterable[str]) -> bool:
    """True when ``domain`` is one of the owner's domains or a subdomain of one."""
    domain = to_unicode_domain(domain.lower().rstrip("."))
    for owner in owner_domains:
        owner = to_unicode_domain(owner.lower().rstrip("."))
        if domain == owner or domain.endswith("." + owner):
            return True
    return False


def confusable_domain(domain: str, owner: str) -> tuple[str, str] | None:
    """(kind, detail) when ``domain`` imitates ``owner``; None when it does not (or is the owner's)."""
    domain = to_unicode_domain(domain.lower().rstrip("."))[:253]
    owner = to_unicode_domain(owner.lower().rstrip("."))[:253]
    if not domain or not owner or domain == owner or domain.endswith("." + owner):
        return None
    label, suffix = split_registrable(domain)
    olabel, osuffix = split_registrable(owner)
    registrable = f"{label}.{suffix}" if suffix else label
    oregistrable = f"{olabel}.{osuffix}" if osuffix else olabel
    if registrable == oregistrable:
        return None  # same organization (sibling subdomain)
    if (not domain.isascii() or "xn--" in domain) and (
        skeleton(registrable) == skeleton(oregistrable)
        or (skeleton(label) == skeleton(olabel) and suffix != osuffix)
    ):
        return "homoglyph", (
                f"{domain} is written with look-alike characters "
                f"({to_ascii(domain)}) and reads as {oregistrable}"
            )
    if skeleton(registrable) == skeleton(oregistrable):
        return "homoglyph", f"{domain} reads like {oregistrable} (look-alike letters or digits)"
    if label == olabel and suffix != osuffix:
        return "tld-swap", f"{registrable} uses the owner's name {olabel} under another ending (.{suffix})"
    if suffix == osuffix and len(olabel) >= MIN_EDIT_LABEL and edit_distance(label, olabel, 1) == 1:
        return "one-edit", f"{registrable} differs from {oregistrable} by one letter (a typo-style edit)"
    if len(olabel) >= MIN_EDIT_LABEL and label != olabel and olabel in label:
        extra = [w for w in _SPLIT_WORDS.split(label.replace(olabel, " ", 1).replace(" ", "-")) if w]
        if not extra or all(w in ADDED_WORDS for w in extra) or "-" in label:
            return "added-word", f"{registrable} adds {'-'.join(extra) or 'characters'} to the owner's name {olabel}"
    if f".{oregistrable}." in f".{domain}.":
        return "subdomain-trick", f"{domain} puts {oregistrable} in front of another domain ({registrable})"
    return None


def to_ascii(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain.encode("ascii", "backslashreplace").decode("ascii")


def find_lookalikes(
    from_addresses: Iterable[Address], owner_addresses: Iterable[str], owner_domains: Iterable[str]
) -> tuple[Lookalike, ...]:
    """Every imitation of the owner among From mailboxes that are not the owner's."""
    addresses = [a.lower() for a in owner_addresses]
    domains = [d.lower() for d in owner_domains]
    domains += [a.rpartition("@")[2] for a in addresses if "@" in a and a.rpartition("@")[2] not in domains]
    found: list[Lookalike] = []
    for mailbox in from_addresses:
        if mailbox.domain and is_owner_domain(mailbox.domain, domains):
            continue
        shown = mailbox.address
        display = skeleton(mailbox.display_name[:512]) if mailbox.display_name else ""
        hit = next((a for a in addresses if a and skeleton(a) in display), None)
        if hit:
            found.append(Lookalike("display-name", shown, hit,
                                   f"the display name shows {hit}, but the address is {shown}"))
        else:
            dhit = next((d for d in domains if d and re.search(
                rf"(?<![a-z0-9]){re.escape(skeleton(d))}(?![a-z0-9-])", display)), None)
            if dhit:
                found.append(Lookalike("display-name", shown, dhit,
                                       f"the display name claims {dhit}, but the address is {shown}"))
        if mailbox.domain:
            for owner in domains:
                match = confusable_domain(mailbox.domain, owner)
                if match:
                    found.append(Lookalike(match[0], shown, owner, match[1]))
                    break
    return tuple(found)
