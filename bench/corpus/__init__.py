"""Deterministic benchmark data: keys, signed messages, SPF policies and queries, one DNS zone."""
