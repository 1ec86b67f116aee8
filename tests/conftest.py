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
