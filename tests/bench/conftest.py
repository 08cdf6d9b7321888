"""A tiny benchmark data set, generated once per test session (about 2 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.corpus.build import Profile, build

TINY = Profile("tiny", messages=16, queries=60, domains=4, rsa_keys=1, ed25519_keys=1,
               large_share=0.25, ed25519_share=0.3, tamper_share=0.2)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(TINY, tmp_path_factory.mktemp("bench-data"))
