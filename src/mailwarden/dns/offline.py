"""A resolver that asks nobody: every question answers TIMEOUT at once.

For a diagnosis the person did not allow to look anything up (the web page's
default): the engines report ``temperror``, so the verdict rests on what the
provider recorded at delivery (its trusted Authentication-Results), and the
evidence says that DNS was not consulted.  Nothing leaves the machine.
"""

from __future__ import annotations

from mailwarden.dns.base import Answer, Rcode, check_type, normalize_name


class OfflineResolver:
    """The :class:`~mailwarden.dns.base.Resolver` that never touches the network."""

    def __init__(self) -> None:
        self.questions = 0

    async def query(self, name: str, rdtype: str) -> Answer:
        """Every question: TIMEOUT (RFC 7208 section 5 treats it as temperror)."""
        self.questions += 1
        return Answer(normalize_name(name), check_type(rdtype), Rcode.TIMEOUT)

    async def aclose(self) -> None:
        """Nothing to release."""
