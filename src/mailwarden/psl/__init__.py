"""Public Suffix List: public suffixes and organizational domains.

Used by DMARC's RFC 7489 mode (RFC 7489 section 3.2: the Organizational
Domain is the public suffix plus one label) and by the look-alike checks.
The list is the one shipped with the ``publicsuffixlist`` package, or a
``public_suffix_list.dat`` given explicitly (tests use the corpus copy so that
the official test vectors match the list they were written for).
"""

from mailwarden.psl.suffixes import (
    SuffixList,
    default_list,
    host_organization,
    load_list,
    psl_organizational_domain,
    public_suffix,
)

__all__ = ["SuffixList", "default_list", "host_organization", "load_list", "psl_organizational_domain", "public_suffix"]
