"""DMARC (RFC 9989, with an RFC 7489 mode): records, policy discovery, evaluation."""

from mailwarden.dmarc.alignment import Aligner
from mailwarden.dmarc.discovery import (
    MAX_TREE_WALK_QUERIES,
    LookupCache,
    PolicyDiscovery,
    discover_policy,
    tree_walk_organizational_domain,
    tree_walk_targets,
)
from mailwarden.dmarc.evaluate import Alignment, DMARCResult, DomainResult, evaluate_dmarc
from mailwarden.dmarc.record import DMARCRecord, RecordIssue, is_dmarc_record, parse_dmarc_record

__all__ = [
    "MAX_TREE_WALK_QUERIES",
    "Aligner",
    "Alignment",
    "DMARCRecord",
    "DMARCResult",
    "DomainResult",
    "LookupCache",
    "PolicyDiscovery",
    "RecordIssue",
    "discover_policy",
    "evaluate_dmarc",
    "is_dmarc_record",
    "parse_dmarc_record",
    "tree_walk_organizational_domain",
    "tree_walk_targets",
]
