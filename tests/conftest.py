"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI clones the project next to a copy of shared/, as in the developers' checkout.
SHARED = REPO.parent / "shared"
REAL = SHARED / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """../shared/data/real, or skip (only where ../shared is absent)."""
    if not REAL.is_dir():
        pytest.skip(f"real data not available: {REAL} is absent (../shared is not beside the checkout)")
    return REAL


@pytest.fixture
def case_path(tmp_path: Path) -> Path:
    return tmp_path / "case.duckdb"


# Property-based tests draw their examples from a fixed seed: the suite gives the same verdict
# on every run. CIBSCOPE_HYPOTHESIS=wide draws fresh examples, ten times as many (what
# bench/bench_fuzz.py does).
try:
    import os

    from hypothesis import HealthCheck, settings

    _quiet = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
    settings.register_profile("cibscope", derandomize=True, database=None, deadline=None, max_examples=150, suppress_health_check=_quiet)
    settings.register_profile("wide", derandomize=False, database=None, deadline=None, max_examples=1500, suppress_health_check=_quiet)
    settings.load_profile(os.environ.get("CIBSCOPE_HYPOTHESIS", "cibscope"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
