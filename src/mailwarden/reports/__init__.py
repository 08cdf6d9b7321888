"""DMARC aggregate, failure and SMTP-TLS reports (SPEC section 12).

- :mod:`mailwarden.reports.store`: the report store (SQLite or PostgreSQL, migrated by the tool);
- :mod:`mailwarden.reports.analysis`: "who sends mail as my domain" from the store.
"""
