"""Authentication-Results generation (RFC 8601), safe against hostile values.

Parsing lives in :mod:`mailwarden.message.authres` (a foundation); this
package writes the header for the results the engine produced.
"""

from mailwarden.authres.build import (
    ResultEntry,
    arc_entry,
    build_authentication_results,
    default_authserv_id,
    dkim_entries,
    dmarc_entry,
    format_authentication_results,
    spf_entry,
    valid_authserv_id,
)
from mailwarden.authres.trust import TrustReport, untrusted_claims

__all__ = [
    "ResultEntry",
    "TrustReport",
    "arc_entry",
    "build_authentication_results",
    "default_authserv_id",
    "dkim_entries",
    "dmarc_entry",
    "format_authentication_results",
    "spf_entry",
    "untrusted_claims",
    "valid_authserv_id",
]
