"""Evidence and scores: named contributions per account (:mod:`.score`), the group-membership
test (:mod:`.membership`) and their explanation (:mod:`.explain`)."""

from __future__ import annotations

from .explain import Contribution, EvidenceRow, Explanation, explain_account
from .membership import MembershipResult, group_membership
from .score import ScoreParams, ScoreResult, compute_scores, write_scores

__all__ = [
    "Contribution",
    "EvidenceRow",
    "Explanation",
    "MembershipResult",
    "ScoreParams",
    "ScoreResult",
    "compute_scores",
    "explain_account",
    "group_membership",
    "write_scores",
]
