"""Score a detected case against ground truth (e.g. the generator's ``truth.csv``).

>>> r = evaluate("case.duckdb", "data/truth.csv")        # doctest: +SKIP
>>> r.f1, r.roc_auc, r.hard_negative_fpr                  # doctest: +SKIP

Truth file: CSV with ``userid`` (or ``account_id``) and ``label`` (``io`` = positive, anything
else negative); optional ``tactic`` (recall per tactic; tactics starting with ``hn_`` are the
generator's organic *hard negatives*: accounts that look coordinated for benign reasons) and
``group``; a tactic cell may list several tactics separated by ``|``. Truth accounts absent from the case's scores count as score 0, not flagged: an
account the pipeline never saw was not detected.

Metrics are implemented with numpy (no scikit-learn):

* ``precision``, ``recall``, ``f1`` of ``flagged``;
* ``grouped_precision``, ``grouped_recall``, ``grouped_f1`` of *in a group beyond chance*
  (verdict ``operation`` or ``coordinated``): whether the coordination was found, whatever the
  decision about inauthenticity (a group the data shows coordinated but with no inauthentic
  trait is found here and not flagged);
* ``roc_auc`` of ``score``: the Mann-Whitney statistic, ties counted one half;
* ``pr_auc`` of ``score``: average precision, ``sum_k (R_k - R_{k-1}) P_k`` over the distinct
  score thresholds from high to low (scikit-learn's ``average_precision_score``);
* ``hard_negative_fpr``: share of hard negatives flagged;
* ``per_tactic``: accounts and share flagged per tactic (recall for IO tactics, false-positive
  rate for organic ones); an account with several tactics counts in each;
* ``ablation``: the metrics again with one layer removed at a time, re-fusing, re-grouping
  and re-scoring the stored edges with the parameters of the case's last detect run.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .case import Case, open_case
from .errors import CaseStateError, InputError
from .progress import Progress, step

__all__ = ["EvaluationResult", "AblationRow", "evaluate", "roc_auc", "average_precision", "prf"]


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count 1/2)."""
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(s)  # average ranks for ties
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (step function, no interpolation)."""
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    # keep the last index of each run of equal scores: one point per distinct threshold
    last = np.r_[np.nonzero(np.diff(ss))[0], len(ss) - 1]
    tp, fp = tp[last], fp[last]
    precision = tp / (tp + fp)
    recall = tp / n_pos
    prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


def prf(y: np.ndarray, flagged: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall, F1 (0 where undefined)."""
    y = np.asarray(y, dtype=bool)
    f = np.asarray(flagged, dtype=bool)
    tp = int((y & f).sum())
    p = tp / int(f.sum()) if f.any() else 0.0
    r = tp / int(y.sum()) if y.any() else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


@dataclass
class AblationRow:
    layer: str
    f1: float
    roc_auc: float
    pr_auc: float
    d_f1: float
    d_roc_auc: float
    d_pr_auc: float


@dataclass
class EvaluationResult:
    n_accounts: int
    n_positive: int
    n_flagged: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    roc_auc: float
    pr_auc: float
    n_hard_negatives: int
    hard_negative_fpr: float
    organic_fpr: float
    per_tactic: list[dict[str, Any]] = field(default_factory=list)
    ablation: list[AblationRow] = field(default_factory=list)
    missing_from_case: int = 0
    n_grouped: int = 0
    grouped_precision: float = 0.0
    grouped_recall: float = 0.0
    grouped_f1: float = 0.0


def _read_truth(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise InputError("no such truth file", file=str(path))
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        idcol = "userid" if "userid" in cols else "account_id" if "account_id" in cols else None
        if idcol is None or "label" not in cols:
            raise InputError("truth file needs columns userid (or account_id) and label", file=str(path), line=1)
        rows = []
        for row in reader:
            rows.append({"id": row[idcol], "label": (row.get("label") or "").strip().lower(), "tactic": (row.get("tactic") or "").strip()})
    if not rows:
        raise InputError("truth file has no rows", file=str(path))
    return rows


def _align(truth: list[dict[str, str]], scores: dict[str, tuple[float, bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.array([scores.get(t["id"], (0.0, False))[0] for t in truth], dtype=float)
    f = np.array([scores.get(t["id"], (0.0, False))[1] for t in truth], dtype=bool)
    y = np.array([t["label"] == "io" for t in truth], dtype=bool)
    return y, s, f


def evaluate(
    case: str | os.PathLike[str] | Case,
    truth_csv: str | os.PathLike[str],
    *,
    ablation: bool = True,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Compare the case's ``scores`` with the truth file (see the module docstring)."""
    truth = _read_truth(Path(truth_csv))
    owns = not isinstance(case, Case)
    c = open_case(case, create=False) if not isinstance(case, Case) else case
    try:
        runs = c.engine.execute("SELECT params FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchone()
        if runs is None:
            raise CaseStateError("this case has not been through detection yet", hint="run `cibscope detect --case FILE` first")
        scores = {a: (float(sc), bool(fl)) for a, sc, fl in c.engine.execute("SELECT account_id, score, flagged FROM scores").fetchall()}
        y, s, f = _align(truth, scores)
        p, r, f1 = prf(y, f)
        # accounts in a group the decision found beyond chance (flagged or only coordinated)
        beyond = {str(a) for (a,) in c.engine.execute(
            "SELECT m.account_id FROM group_members m JOIN groups g USING (group_id) WHERE g.verdict <> 'chance'"
        ).fetchall()}
        gf = np.array([t["id"] in beyond for t in truth], dtype=bool)
        gp, gr, gf1 = prf(y, gf)
        auc, ap = roc_auc(y, s), average_precision(y, s)
        # a tactic cell may list several, separated by '|' (the generator's truth.csv does)
        tactics = [[x.strip() for x in t["tactic"].split("|") if x.strip()] for t in truth]
        hn = np.array([any(x.startswith("hn_") for x in ts) and not yy for ts, yy in zip(tactics, y)], dtype=bool)
        per: dict[str, dict[str, Any]] = {}
        for ts, yy, ff in zip(tactics, y, f):
            for t in ts or ["(none)"]:
                d = per.setdefault(t, {"tactic": t, "label": "io" if yy else "organic", "n": 0, "flagged": 0})
                d["n"] += 1
                d["flagged"] += int(ff)
        per_tactic = []
        for d in sorted(per.values(), key=lambda d: (d["label"] != "io", d["tactic"])):
            d["share_flagged"] = d["flagged"] / d["n"] if d["n"] else 0.0
            per_tactic.append(d)
        result = EvaluationResult(
            n_accounts=len(truth),
            n_positive=int(y.sum()),
            n_flagged=int(f.sum()),
            tp=int((y & f).sum()),
            fp=int((~y & f).sum()),
            fn=int((y & ~f).sum()),
            precision=p,
            recall=r,
            f1=f1,
            roc_auc=auc,
            pr_auc=ap,
            n_hard_negatives=int(hn.sum()),
            hard_negative_fpr=float(f[hn].mean()) if hn.any() else float("nan"),
            organic_fpr=float(f[~y].mean()) if (~y).any() else float("nan"),
            per_tactic=per_tactic,
            missing_from_case=sum(1 for t in truth if t["id"] not in scores),
            n_grouped=int(gf.sum()),
            grouped_precision=gp,
            grouped_recall=gr,
            grouped_f1=gf1,
        )
        if ablation:
            from .pipeline import DetectConfig

            cfg = DetectConfig.from_stored(json.loads(runs[0]))
            layers = [str(x[0]) for x in c.engine.execute("SELECT DISTINCT layer FROM edges ORDER BY 1").fetchall()]
            _ablation(c, cfg, layers, truth, f1, auc, ap, result, progress)
        return result
    finally:
        if owns:
            c.close()


def _ablation(
    c: Case, cfg: Any, layers: list[str], truth: Any, f1: float, auc: float, ap: float,
    result: EvaluationResult, progress: Progress | None,
) -> None:
    """Re-score without each layer in turn (:func:`cibscope.pipeline.rescore`); one row per
    layer in ``result.ablation``. The group-membership test reads its traces at every re-score:
    they run once, kept for the whole ablation (:class:`~cibscope.pipeline.KeptTraces`)."""
    from .evidence.membership import TRACE_LAYERS
    from .pipeline import KeptTraces, built_network_params, rescore

    kept = KeptTraces(c)
    try:
        if cfg.score.membership_weight > 0:
            built = replace(cfg, networks=built_network_params(c))
            kept.ensure(built.traces([l for l in TRACE_LAYERS if l in layers]))
        with step(progress, "ablation: re-scoring without each layer", len(layers)) as h:
            for layer in layers:
                res = rescore(c, cfg, exclude_layers=(layer,))
                sc = {
                    a: (float(v), bool(fl))
                    for a, v, fl in zip(
                        res.scores.column("account_id").to_pylist(),
                        res.scores.column("score").to_pylist(),
                        res.scores.column("flagged").to_pylist(),
                    )
                }
                ya, sa, fa = _align(truth, sc)
                _, _, f1a = prf(ya, fa)
                auca, apa = roc_auc(ya, sa), average_precision(ya, sa)
                result.ablation.append(AblationRow(layer, f1a, auca, apa, f1a - f1, auca - auc, apa - ap))
                h.advance(1)
    finally:
        kept.drop()
