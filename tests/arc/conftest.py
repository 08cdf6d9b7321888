"""ARC tests reuse the DKIM test keys."""

from tests.dkim.conftest import ed_key, rsa_key  # noqa: F401
