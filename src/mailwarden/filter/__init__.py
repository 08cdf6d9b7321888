"""``mailwarden filter``: enforcement on the inbound path of a real MTA (SPEC section 14).

A front end: the milter (:mod:`.milter`, on pymilter/libmilter) and the process
around it (:mod:`.runner`) feed each message to the per-message service
(:mod:`.service`), which asks the protocol engine (:mod:`.engine`) and the
bounce service (:mod:`.backscatter`) and decides (:mod:`.decision`, pure).
Configuration in :mod:`.config`, counters in :mod:`.metrics`.
"""

from mailwarden.filter.config import FilterConfig, load_config
from mailwarden.filter.decision import BackscatterEvidence, Decision, Transaction, decide

__all__ = ["BackscatterEvidence", "Decision", "FilterConfig", "Transaction", "decide", "load_config"]
