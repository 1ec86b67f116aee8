"""Evidence and scores: named contributions per account (:mod:`.score`) and their explanation (:mod:`.explain`)."""

from __future__ import annotations

from .explain import Contribution, EvidenceRow, Explanation, explain_account
from .score import ScoreParams, ScoreResult, compute_scores, write_scores

__all__ = [
    "Contribution",
    "EvidenceRow",
    "Explanation",
    "ScoreParams",
    "ScoreResult",
    "compute_scores",
    "explain_account",
    "write_scores",
]
