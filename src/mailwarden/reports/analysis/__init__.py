"""Report analysis: "who sends mail as my domain" (SPEC section 12).

See :mod:`mailwarden.reports.analysis.service` for the API shared by the CLI and the web app.
"""

from mailwarden.reports.analysis.buckets import BUCKETS, Bucket, Traffic, classify
from mailwarden.reports.analysis.geoip import GeoInfo, GeoIP
from mailwarden.reports.analysis.providers import Provider, ProviderMap, default_map
from mailwarden.reports.analysis.rdns import ReverseLookup, ReverseName
from mailwarden.reports.analysis.results import (
    BucketTotal,
    DayVolume,
    DomainSummary,
    Readiness,
    RejectedInput,
    Source,
    SourceList,
    Summary,
)
from mailwarden.reports.analysis.service import (
    build_sources,
    load_traffic,
    next_step,
    reverse_names,
    source_ips,
    sources,
    summary,
    volume,
    window,
)

__all__ = [
    "BUCKETS",
    "Bucket",
    "BucketTotal",
    "DayVolume",
    "DomainSummary",
    "GeoIP",
    "GeoInfo",
    "Provider",
    "ProviderMap",
    "Readiness",
    "RejectedInput",
    "ReverseLookup",
    "ReverseName",
    "Source",
    "SourceList",
    "Summary",
    "Traffic",
    "build_sources",
    "classify",
    "default_map",
    "load_traffic",
    "next_step",
    "reverse_names",
    "source_ips",
    "sources",
    "summary",
    "volume",
    "window",
]
