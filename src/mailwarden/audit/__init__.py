"""Domain audit (SPEC section 7): SPF, DKIM, DMARC, MX and catch-all checks,
the records to publish, a DMARC roll-out plan and a grade.

Entry point: :func:`mailwarden.audit.service.audit_domain`.
"""
